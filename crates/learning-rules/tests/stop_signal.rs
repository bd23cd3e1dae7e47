//! A stop request belongs to its run: two recorders alive at once (a sweep inside a cell, two
//! test threads), and only the one whose signal is raised stops. Its own binary, so that no
//! other test's SIGINT reaches these runs.

use learning_rules::{Dataset, Learner, Recorder, StopReason, TrainingConfig, TrainingOrder};

#[test]
fn a_stop_signal_ends_its_own_run_and_no_other() {
    let data = Dataset::load().unwrap();
    let config = TrainingConfig {
        epochs: 2,
        train_samples: Some(1_000),
        ..TrainingConfig::per_minibatch()
    };
    let mut learners = [
        Learner::new(&data, &config).unwrap(),
        Learner::new(&data, &config).unwrap(),
    ];
    let mut logs = [
        Recorder::with_observer(&config, &learners[0], ()),
        Recorder::with_observer(&config, &learners[1], ()),
    ];
    let stop_first = logs[0].stop_signal();
    let mut order = TrainingOrder::for_config(learners[0].train_len(), &config);
    for epoch in 0..config.epochs {
        let batches: Vec<Vec<u32>> = order
            .next_epoch()
            .chunks(config.batch_size)
            .map(<[u32]>::to_vec)
            .collect();
        for (i, batch) in batches.iter().enumerate() {
            for (learner, log) in learners.iter_mut().zip(logs.iter_mut()) {
                if log.should_stop() {
                    continue;
                }
                let loss = learner.step(batch, config.learning_rate).unwrap();
                log.batch(loss, batch.len());
                log.update();
            }
            if epoch == 0 && i == 3 {
                stop_first.stop();
            }
        }
        // As the notebooks' loop does: a stopped run records its partial epoch, then ends.
        for (learner, log) in learners.iter_mut().zip(logs.iter_mut()) {
            if log.history().epochs.len() == epoch {
                log.end_epoch(learner, &data.test).unwrap();
            }
        }
    }
    let [first, second] = logs;
    let first = first.finish(&learners[0]).unwrap().history;
    let second = second.finish(&learners[1]).unwrap().history;
    let stopped = first.stopped.as_ref().expect("the first run was stopped");
    assert_eq!(stopped.reason, StopReason::Interrupted);
    assert_eq!((stopped.epoch, stopped.update), (1, 4));
    assert!(first.was_interrupted());
    assert!(second.stopped.is_none(), "{:?}", second.stopped);
    assert_eq!(second.epochs.len(), 2);
    assert_eq!(second.updates(), 20);
}
