//! The training loops of notebooks 24a, 24b and 24c, verbatim: each block between the
//! `notebook … begin` and `end` marks is the notebook's training cell (tests/test_notebooks.py
//! checks that they are the same text). Here they must give the same history as `train()`.

use learning_rules::{
    Dataset, Learner, Recorder, Result, Run, TrainingConfig, TrainingOrder, train,
};

fn data() -> Dataset {
    Dataset::load().expect("data/mnist")
}

fn notebook_24a(data: &Dataset, config: TrainingConfig) -> Result<Run> {
    let mut learner = Learner::new(data, &config)?;
    // notebook 24a: begin
    let mut log: Recorder = Recorder::new(&config, &learner);
    let mut order: TrainingOrder = TrainingOrder::for_config(learner.train_len(), &config);
    let n: f32 = learner.train_len() as f32;
    for _ in 0..config.epochs {
        for batch in order.next_epoch().chunks(config.batch_size) {
            let loss = learner.accumulate(batch, batch.len() as f32 / n)?; // add this batch's share of ∇L
            log.batch(loss, batch.len());
        }
        learner.update(config.learning_rate)?; // the epoch's one update: w -= lr·∇L
        log.update();
        log.end_epoch(&mut learner, &data.test)?; // test accuracy, the lecture's two lines
        if log.should_stop() {
            break;
        }
    }
    let run: Run = log.finish(&learner)?;
    // notebook 24a: end
    Ok(run)
}

fn notebook_24b(data: &Dataset, config: TrainingConfig) -> Result<Run> {
    let mut learner = Learner::new(data, &config)?;
    // notebook 24b: begin
    let mut log: Recorder = Recorder::new(&config, &learner);
    let mut order: TrainingOrder = TrainingOrder::for_config(learner.train_len(), &config);
    for _ in 0..config.epochs {
        for batch in order.next_epoch().chunks(config.batch_size) {
            let loss = learner.step(batch, config.learning_rate)?; // forward, backward, w -= lr·grad
            log.batch(loss, batch.len());
            log.update(); // one update per minibatch
            if log.should_stop() {
                break;
            }
            log.checkpoint_if_due(&mut learner, &data.test)?; // mid-epoch test accuracy, if asked for
        }
        log.end_epoch(&mut learner, &data.test)?; // test accuracy, the lecture's two lines
        if log.should_stop() {
            break;
        }
    }
    let run: Run = log.finish(&learner)?;
    // notebook 24b: end
    Ok(run)
}

fn notebook_24c(data: &Dataset, config: TrainingConfig) -> Result<Run> {
    let mut learner = Learner::new(data, &config)?;
    // notebook 24c: begin
    let mut log: Recorder = Recorder::new(&config, &learner);
    let mut order: TrainingOrder = TrainingOrder::for_config(learner.train_len(), &config);
    for _ in 0..config.epochs {
        for sample in order.next_epoch().chunks(1) {
            let loss = learner.step(sample, config.learning_rate)?; // forward, backward, w -= lr·grad
            log.batch(loss, 1);
            log.update(); // one update per sample
            if log.should_stop() {
                break;
            }
            log.checkpoint_if_due(&mut learner, &data.test)?; // mid-epoch test accuracy, if asked for
        }
        log.end_epoch(&mut learner, &data.test)?; // test accuracy, the lecture's two lines
        if log.should_stop() {
            break;
        }
    }
    let run: Run = log.finish(&learner)?;
    // notebook 24c: end
    Ok(run)
}

/// Same losses (per epoch and per update), accuracies, update counts, accuracy checkpoints and
/// weights; the seconds differ, of course.
fn assert_same_run(notebook: &Run, library: &Run) {
    let (a, b) = (&notebook.history, &library.history);
    assert!(!a.epochs.is_empty());
    assert_eq!(a.epochs.len(), b.epochs.len());
    for (x, y) in a.epochs.iter().zip(&b.epochs) {
        assert_eq!(
            (x.epoch, x.train_loss, x.test_accuracy, x.updates, x.samples),
            (y.epoch, y.train_loss, y.test_accuracy, y.updates, y.samples)
        );
    }
    assert_eq!(a.update_losses, b.update_losses);
    let points = |h: &learning_rules::History| -> Vec<(f64, usize, f64)> {
        h.checkpoints
            .iter()
            .map(|c| (c.epochs, c.updates, c.test_accuracy))
            .collect()
    };
    assert_eq!(points(a), points(b));
    assert_eq!(notebook.weights, library.weights);
}

fn quick(config: TrainingConfig, samples: usize, epochs: usize) -> TrainingConfig {
    TrainingConfig {
        epochs,
        train_samples: Some(samples),
        ..config
    }
}

#[test]
fn notebook_24a_loop_matches_train() {
    let (data, config) = (data(), quick(TrainingConfig::per_epoch(), 2_050, 3));
    let notebook = notebook_24a(&data, config.clone()).unwrap();
    assert_same_run(&notebook, &train(&data, &config).unwrap());
    assert_eq!(notebook.history.updates(), 3);
}

#[test]
fn notebook_24b_loop_matches_train() {
    let (data, config) = (data(), quick(TrainingConfig::per_minibatch(), 3_050, 2));
    let notebook = notebook_24b(&data, config.clone()).unwrap();
    assert_same_run(&notebook, &train(&data, &config).unwrap());
    assert_eq!(notebook.history.updates(), 62);
}

#[test]
fn notebook_24c_loop_matches_train() {
    let (data, config) = (data(), quick(TrainingConfig::per_sample(), 1_500, 2));
    let notebook = notebook_24c(&data, config.clone()).unwrap();
    assert_same_run(&notebook, &train(&data, &config).unwrap());
    assert_eq!(notebook.history.updates(), 3_000);
}

/// The loops take their order and their accuracy measurements from the config they are shown,
/// as `train()` does: more measurements per epoch, another order.
#[test]
fn notebook_loops_follow_the_configs_order_and_evaluations() {
    let data = data();
    let cases = [
        (
            notebook_24b as fn(&Dataset, TrainingConfig) -> Result<Run>,
            TrainingConfig::per_minibatch(),
            3_050,
        ),
        (notebook_24c, TrainingConfig::per_sample(), 900),
    ];
    for (notebook, lecture, samples) in cases {
        for shuffle in [false, true] {
            let config = TrainingConfig {
                evaluations_per_epoch: 3,
                shuffle,
                ..quick(lecture.clone(), samples, 2)
            };
            let run = notebook(&data, config.clone()).unwrap();
            assert_same_run(&run, &train(&data, &config).unwrap());
            assert_eq!(run.history.checkpoints.len(), 6, "{shuffle} {config:?}");
        }
    }
    let shuffled_24a = TrainingConfig {
        shuffle: true,
        ..quick(TrainingConfig::per_epoch(), 2_050, 2)
    };
    let run = notebook_24a(&data, shuffled_24a.clone()).unwrap();
    assert_same_run(&run, &train(&data, &shuffled_24a).unwrap());
}
