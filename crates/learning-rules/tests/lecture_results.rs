//! The lecture's three experiments with its own settings on the full MNIST: the accuracies
//! the lecture reports must come out (with the fused CPU path this takes about half a minute).

use learning_rules::{Dataset, TrainingConfig, train};

#[test]
fn lecture_24a_per_epoch_crawls() {
    let run = train(&Dataset::load().unwrap(), &TrainingConfig::per_epoch()).unwrap();
    let h = &run.history;
    assert_eq!(h.updates(), 10);
    let acc = h.final_accuracy().unwrap();
    // The lecture shows about 46%: ten steps are not enough.
    assert!(
        (20.0..60.0).contains(&acc),
        "accuracy after 10 updates: {acc}"
    );
    assert!(
        h.epochs
            .windows(2)
            .all(|w| w[1].train_loss < w[0].train_loss),
        "loss must fall every epoch"
    );
}

#[test]
fn lecture_24b_minibatch_learns_in_one_epoch() {
    let run = train(&Dataset::load().unwrap(), &TrainingConfig::per_minibatch()).unwrap();
    let h = &run.history;
    assert_eq!(h.updates(), 6000);
    assert!(
        h.epochs[0].test_accuracy >= 91.0,
        "epoch 1: {:?}",
        h.epochs[0]
    );
    assert!(
        h.final_accuracy().unwrap() >= 97.0,
        "epoch 10: {:?}",
        h.epochs[9]
    );
}

#[test]
fn lecture_24c_per_sample_first_epoch() {
    let config = TrainingConfig {
        epochs: 1,
        ..TrainingConfig::per_sample()
    };
    let run = train(&Dataset::load().unwrap(), &config).unwrap();
    assert_eq!(run.history.updates(), 60_000);
    assert!(
        run.history.final_accuracy().unwrap() >= 95.0,
        "{:?}",
        run.history.epochs[0]
    );
}
