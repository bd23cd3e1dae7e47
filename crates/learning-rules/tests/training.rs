//! The training loop through the public API, on subsets of the real MNIST.

use std::sync::OnceLock;

use learning_rules::{
    Dataset, Engine, Error, Learner, LearningRule, Pixels, StopReason, Stopped, TrainingConfig,
    train,
};

fn mnist() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| Dataset::load().expect("data/mnist"))
}

/// `rule` with the lecture's settings on the first `n` samples, quiet.
fn config(rule: LearningRule, n: usize, epochs: usize) -> TrainingConfig {
    TrainingConfig {
        epochs,
        train_samples: Some(n),
        ..TrainingConfig::lecture(rule)
    }
}

fn invalid(config: TrainingConfig) -> String {
    match train(mnist(), &config) {
        Err(e @ Error::InvalidConfig(_)) => e.to_string(),
        other => panic!("expected an invalid-setting error, got {other:?}"),
    }
}

#[test]
fn lecture_defaults() {
    let a = TrainingConfig::per_epoch();
    let b = TrainingConfig::per_minibatch();
    let c = TrainingConfig::per_sample();
    assert_eq!(
        (a.epochs, a.learning_rate, a.batch_size, a.shuffle),
        (10, 0.1, 100, false)
    );
    assert_eq!(
        (b.epochs, b.learning_rate, b.batch_size, b.shuffle),
        (10, 0.1, 100, true)
    );
    assert_eq!(
        (c.epochs, c.learning_rate, c.batch_size, c.shuffle),
        (10, 0.01, 1, false)
    );
}

#[test]
fn per_epoch_rule_updates_once_per_epoch() {
    let run = train(mnist(), &config(LearningRule::PerEpoch, 1000, 3)).unwrap();
    let updates: Vec<usize> = run.history.epochs.iter().map(|e| e.updates).collect();
    assert_eq!(updates, [1, 2, 3]);
    assert_eq!(run.history.update_losses.len(), 3);
}

#[test]
fn minibatch_rule_updates_once_per_batch_including_a_short_last_one() {
    let run = train(mnist(), &config(LearningRule::PerMinibatch, 1050, 2)).unwrap();
    let updates: Vec<usize> = run.history.epochs.iter().map(|e| e.updates).collect();
    assert_eq!(updates, [11, 22]);
    assert_eq!(run.history.update_losses.len(), 22);
}

#[test]
fn per_sample_rule_updates_once_per_sample() {
    let run = train(mnist(), &config(LearningRule::PerSample, 700, 2)).unwrap();
    assert_eq!(run.history.epochs[1].updates, 1400);
    assert_eq!(run.history.epochs[1].samples, 700);
    assert_eq!(run.history.update_losses.len(), 1400);
}

#[test]
fn per_epoch_loss_is_the_mean_over_every_sample() {
    // 1,050 samples: ten batches of 100 and a short one of 50, so the mean over the samples
    // and the mean of the batch means differ. The epoch's loss is taken before its update,
    // at the initial weights, which a second learner with the same seed reproduces.
    let config = config(LearningRule::PerEpoch, 1050, 1);
    let run = train(mnist(), &config).unwrap();
    let mut learner = Learner::new(mnist(), &config).unwrap();
    let order: Vec<u32> = (0..1050).collect();
    let (mut per_sample, mut per_batch) = (0.0, 0.0);
    for batch in order.chunks(config.batch_size) {
        let loss = f64::from(learner.accumulate(batch, 1.0).unwrap());
        per_sample += loss * batch.len() as f64 / 1050.0;
        per_batch += loss / 11.0;
    }
    let loss = run.history.epochs[0].train_loss;
    assert!((loss - 10f64.ln()).abs() < 0.1, "loss {loss}");
    assert!((loss - per_sample).abs() < 1e-6, "{loss} vs {per_sample}");
    assert!(
        (per_sample - per_batch).abs() > 1e-5,
        "the two means agree ({per_sample}), so this test could not tell them apart"
    );
}

#[test]
fn huge_learning_rate_stops_the_run_as_diverged() {
    let config = TrainingConfig {
        learning_rate: 1e9,
        ..config(LearningRule::PerMinibatch, 2000, 3)
    };
    let run = train(mnist(), &config).expect("a diverged run comes back with its reason");
    let stopped = run.history.stopped.expect("the run says why it stopped");
    match stopped.reason {
        StopReason::Diverged { learning_rate, .. } => assert_eq!(learning_rate, 1e9),
        ref other => panic!("expected divergence, got {other:?}"),
    }
    let update = stopped.update;
    assert_eq!(stopped.epoch, 1);
    assert!((1..=20).contains(&update), "diverged at update {update}");
    let text = stopped.to_string();
    assert!(
        text.contains(&format!("epoch 1, update {update}")),
        "{text}"
    );
    assert!(text.contains("try 100000000 or smaller"), "{text}");
}

#[test]
fn divergence_is_caught_by_the_burn_engine_too() {
    let config = TrainingConfig {
        learning_rate: 1e9,
        engine: Engine::Burn,
        ..config(LearningRule::PerMinibatch, 2000, 1)
    };
    let stopped = train(mnist(), &config).unwrap().history.stopped;
    assert!(matches!(
        stopped,
        Some(Stopped {
            reason: StopReason::Diverged { .. },
            epoch: 1,
            ..
        })
    ));
}

#[test]
fn bad_settings_are_refused_with_what_to_use() {
    let base = config(LearningRule::PerMinibatch, 1000, 1);
    let e = invalid(TrainingConfig {
        batch_size: 0,
        ..base.clone()
    });
    assert!(
        e.contains("batch size 0 must be between 1 and the number of training samples (1000)"),
        "{e}"
    );
    let e = invalid(TrainingConfig {
        batch_size: 1001,
        ..base.clone()
    });
    assert!(e.contains("batch size 1001"), "{e}");
    let e = invalid(TrainingConfig {
        epochs: 0,
        ..base.clone()
    });
    assert!(e.contains("epochs is 0"), "{e}");
    let e = invalid(TrainingConfig {
        learning_rate: 0.0,
        ..base.clone()
    });
    assert!(
        e.contains("learning rate 0 must be a positive number (the lecture uses 0.1)"),
        "{e}"
    );
    let e = invalid(TrainingConfig {
        learning_rate: -0.5,
        ..base.clone()
    });
    assert!(e.contains("learning rate -0.5"), "{e}");
    let e = invalid(TrainingConfig {
        learning_rate: f64::NAN,
        ..base.clone()
    });
    assert!(e.contains("learning rate NaN"), "{e}");
    let e = invalid(TrainingConfig {
        train_samples: Some(70_000),
        ..base.clone()
    });
    assert!(e.contains("use 1 to 60000"), "{e}");
    let e = invalid(TrainingConfig {
        batch_size: 5,
        ..config(LearningRule::PerSample, 100, 1)
    });
    assert!(e.contains("use the minibatch rule"), "{e}");
    let e = invalid(TrainingConfig {
        time_budget_seconds: Some(0.0),
        ..base
    });
    assert!(e.contains("time budget"), "{e}");
}

#[test]
fn same_seed_same_history_other_seed_other_history() {
    let run = |seed| {
        train(
            mnist(),
            &TrainingConfig {
                seed,
                ..config(LearningRule::PerMinibatch, 3000, 2)
            },
        )
        .unwrap()
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.history.update_losses, b.history.update_losses);
    let figures = |r: &learning_rules::Run| -> Vec<(f64, f64)> {
        r.history
            .epochs
            .iter()
            .map(|e| (e.train_loss, e.test_accuracy))
            .collect()
    };
    assert_eq!(figures(&a), figures(&b));
    assert_ne!(a.history.update_losses, c.history.update_losses);
}

#[test]
fn shuffling_changes_the_order_not_the_update_count() {
    let base = config(LearningRule::PerMinibatch, 1000, 1);
    let shuffled = train(
        mnist(),
        &TrainingConfig {
            shuffle: true,
            ..base.clone()
        },
    )
    .unwrap();
    let ordered = train(
        mnist(),
        &TrainingConfig {
            shuffle: false,
            ..base
        },
    )
    .unwrap();
    assert_eq!(shuffled.history.updates(), ordered.history.updates());
    assert_ne!(
        shuffled.history.update_losses,
        ordered.history.update_losses
    );
}

/// The specialised CPU path must give what burn gives: same seed, weights within 1e-4.
#[test]
fn fused_engine_matches_burn_for_every_rule() {
    for (rule, n, epochs) in [
        (LearningRule::PerEpoch, 2000, 3),
        (LearningRule::PerMinibatch, 2000, 2),
        (LearningRule::PerSample, 300, 1),
    ] {
        let run = |engine| {
            train(
                mnist(),
                &TrainingConfig {
                    engine,
                    ..config(rule, n, epochs)
                },
            )
            .unwrap()
        };
        let (burn, fused) = (run(Engine::Burn), run(Engine::Fused));
        assert_eq!(burn.history.engine.engine, Engine::Burn);
        assert_eq!(fused.history.engine.engine, Engine::Fused);
        assert_eq!(fused.history.engine.device, learning_rules::DeviceKind::Cpu);
        assert!(
            fused.history.engine.detail.starts_with("fused CPU ("),
            "{}",
            fused.history.engine
        );
        let diff = fused.weights.gap(&burn.weights);
        assert!(diff <= 1e-4, "{rule}: weights differ by {diff}");
        for (a, b) in burn.history.epochs.iter().zip(&fused.history.epochs) {
            assert!(
                (a.train_loss - b.train_loss).abs() < 1e-4,
                "{rule}: {a:?} vs {b:?}"
            );
            assert!(
                (a.test_accuracy - b.test_accuracy).abs() <= 0.05,
                "{rule}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn time_budget_stops_mid_epoch_and_records_it() {
    let config = TrainingConfig {
        time_budget_seconds: Some(0.05),
        engine: Engine::Burn,
        ..config(LearningRule::PerSample, 60_000, 5)
    };
    let run = train(mnist(), &config).unwrap();
    assert_eq!(run.history.epochs.len(), 1);
    let epoch = &run.history.epochs[0];
    assert!(epoch.samples < 60_000 && epoch.samples > 0, "{epoch:?}");
    assert_eq!(epoch.updates, epoch.samples);
}

#[test]
fn history_exports_csv_and_json() {
    let mut run = train(mnist(), &config(LearningRule::PerMinibatch, 500, 2)).unwrap();
    // A time that serde_json's default float parser reads back one ulp off (seen in CI).
    run.history.checkpoints[1].seconds = 0.047042441000000004;
    let dir = tempfile::tempdir().unwrap();
    let files = run.history.save(dir.path()).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(
        names,
        ["minibatch.csv", "minibatch-updates.csv", "minibatch.json"]
    );
    let csv = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,train_loss,test_accuracy,seconds,eval_seconds,updates,samples"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[2].starts_with("2,"), "{}", lines[2]);
    assert!(lines[2].ends_with(",10,500"), "{}", lines[2]);
    let updates = std::fs::read_to_string(&files[1]).unwrap();
    assert_eq!(updates.lines().count(), 1 + 10);
    let json = std::fs::read_to_string(&files[2]).unwrap();
    let back = learning_rules::History::from_json(&json).unwrap();
    assert_eq!(back, run.history);
}

#[test]
fn log_lines_follow_the_lecture() {
    let run = train(mnist(), &config(LearningRule::PerMinibatch, 500, 1)).unwrap();
    let log = run.history.epochs[0].log_lines(run.history.train_samples);
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].starts_with("At Epoch 1: Loss = "), "{log}");
    assert!(lines[0].contains(" , Acc = "), "{log}");
    assert!(lines[1].starts_with("Epoch completed in 0m "), "{log}");
}

#[test]
fn evaluations_within_epochs_are_checkpointed() {
    let run = train(
        mnist(),
        &TrainingConfig {
            evaluations_per_epoch: 7,
            ..config(LearningRule::PerSample, 700, 2)
        },
    )
    .unwrap();
    let h = &run.history;
    let updates: Vec<usize> = h.checkpoints.iter().map(|c| c.updates).collect();
    let expected: Vec<usize> = (1..=14).map(|k| k * 100).collect();
    assert_eq!(updates, expected);
    assert!(
        h.checkpoints
            .windows(2)
            .all(|w| w[0].seconds <= w[1].seconds)
    );
    assert_eq!(h.checkpoints[6].test_accuracy, h.epochs[0].test_accuracy);
    assert_eq!(h.checkpoints[13].epochs, 2.0);
    assert_eq!(h.checkpoints[2].epochs, 3.0 / 7.0);
    let reached = h.first_reaching(50.0).expect("50 % within 1400 updates");
    assert!(reached.test_accuracy >= 50.0 && reached.updates <= 1400);
    assert!(h.first_reaching(100.1).is_none());

    // The per-epoch rule changes the weights only at the epoch's end: one measurement each.
    let run = train(
        mnist(),
        &TrainingConfig {
            evaluations_per_epoch: 7,
            ..config(LearningRule::PerEpoch, 700, 2)
        },
    )
    .unwrap();
    assert_eq!(run.history.checkpoints.len(), 2);
}

#[test]
fn divergence_and_a_time_budget_keep_the_run_so_far() {
    let diverging = TrainingConfig {
        learning_rate: 1e9,
        ..config(LearningRule::PerMinibatch, 2000, 3)
    };
    let run = train(mnist(), &diverging).unwrap();
    let h = &run.history;
    let stopped = h.stopped.as_ref().expect("the reason is recorded");
    assert!(matches!(stopped.reason, StopReason::Diverged { .. }));
    assert_eq!(
        h.epochs.len(),
        stopped.epoch - 1,
        "epochs before the diverging one"
    );
    assert_eq!(h.update_losses.len(), stopped.update - 1);
    assert!(h.update_losses.iter().all(|l| l.is_finite()));
    assert!(
        stopped.to_string().contains("try 100000000 or smaller"),
        "{stopped}"
    );
    let budget = TrainingConfig {
        time_budget_seconds: Some(0.05),
        ..config(LearningRule::PerSample, 60_000, 3)
    };
    let run = train(mnist(), &budget).unwrap();
    let stopped = run.history.stopped.expect("a time budget is recorded");
    assert_eq!(
        stopped.reason,
        learning_rules::StopReason::TimeBudget { seconds: 0.05 }
    );
    assert_eq!(run.history.epochs.len(), 1);
    assert_eq!(run.history.epochs[0].samples, stopped.samples);
}

/// Images replaced by a student with the wrong number of values are an error that says what is
/// wrong, for training and for the test split; the same values as floats train.
#[test]
fn images_of_the_wrong_size_are_errors_not_panics() {
    let mut data = mnist().clone();
    data.train = data.train.first(200).expect("200 samples");
    data.test = data.test.first(100).expect("100 samples");
    let config = config(LearningRule::PerMinibatch, 200, 1);
    let floats = data.train.images.to_floats();
    data.train.images = Pixels::Floats(floats[..floats.len() - 1].to_vec());
    let e = Learner::new(&data, &config)
        .err()
        .expect("an error")
        .to_string();
    assert!(
        e.contains(
            "this split has 200 labels but 156799 pixels, where 200 images of 28×28 take 156800"
        ),
        "{e}"
    );
    let e = data.train.first(10).unwrap_err().to_string();
    assert!(
        e.contains("this split has 200 labels but 156799 pixels"),
        "{e}"
    );
    data.train.images = Pixels::Floats(floats);
    let mut learner = Learner::new(&data, &config).expect("a learner");
    let mut test = data.test.clone();
    test.labels.push(3);
    let e = learner.accuracy(&test).unwrap_err().to_string();
    assert!(
        e.contains("this split has 101 labels but 78400 pixels"),
        "{e}"
    );
    assert!(learner.accuracy(&data.test).expect("accuracy") > 0.0);
}

#[test]
fn out_of_range_indices_are_errors_not_panics() {
    let data = mnist();
    let e = data.test.image(10_000).unwrap_err().to_string();
    assert!(
        e.contains("image 10000 does not exist: this split has 10000 images"),
        "{e}"
    );
    let config = config(LearningRule::PerMinibatch, 500, 1);
    let mut learner = learning_rules::Learner::new(data, &config).unwrap();
    let e = learner.step(&[3, 500], 0.1).unwrap_err().to_string();
    assert!(
        e.contains("sample 500 is not in the training set, which has 500 samples"),
        "{e}"
    );
    let e = learner.accumulate(&[], 1.0).unwrap_err().to_string();
    assert!(e.contains("empty batch"), "{e}");
}
