//! Stop (■) in JupyterLab and Ctrl-C both send SIGINT: training ends at the next batch with the
//! run so far, and the process lives on. One test in its own binary, since a signal reaches the
//! whole process.

use learning_rules::{
    BatchProgress, Dataset, Observer, StopReason, TrainingConfig, train, train_with,
};

/// Raises SIGINT once, after `after` batches, as Stop would mid-epoch.
struct PressStop {
    after: usize,
    seen: usize,
}

impl Observer for PressStop {
    fn batch(&mut self, _: &BatchProgress) {
        self.seen += 1;
        if self.seen == self.after {
            // SAFETY: raising a signal the crate's handler is installed for.
            unsafe { libc::raise(libc::SIGINT) };
        }
    }
}

#[test]
fn sigint_ends_training_at_the_next_batch_and_keeps_the_run() {
    let data = Dataset::load().unwrap();
    let config = TrainingConfig {
        epochs: 3,
        train_samples: Some(2_000),
        ..TrainingConfig::per_minibatch()
    };
    let press = PressStop { after: 25, seen: 0 };
    let run = train_with(&data, &config, press).expect("an interrupted run is not an error");
    let h = &run.history;
    let stopped = h.stopped.as_ref().expect("the run says why it stopped");
    assert_eq!(stopped.reason, StopReason::Interrupted);
    // 20 batches per epoch: the first epoch is whole, the second stopped after 5 of its batches.
    assert_eq!(
        (stopped.epoch, stopped.update, stopped.samples),
        (2, 25, 500)
    );
    assert_eq!(h.epochs.len(), 2);
    assert_eq!((h.epochs[0].samples, h.epochs[1].samples), (2_000, 500));
    assert_eq!(h.update_losses.len(), 25);
    assert!(h.final_accuracy().unwrap() > 50.0, "{:?}", h.epochs);
    assert!(
        stopped
            .to_string()
            .contains("Interrupted at epoch 2, update 25"),
        "{stopped}"
    );

    // The next run starts afresh: an old Stop does not end it.
    let again = train(&data, &config).unwrap();
    assert_eq!(again.history.epochs.len(), 3);
    assert!(again.history.stopped.is_none());
}
