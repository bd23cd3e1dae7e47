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
    let data = Dataset::load().unwrap();
    let run = train(&data, &config).unwrap();
    assert_eq!(run.history.updates(), 60_000);
    let per_sample = run.history.final_accuracy().unwrap();
    assert!(per_sample >= 95.0, "{:?}", run.history.epochs[0]);
    // 24c's notebook: more than 24b after one epoch, 60,000 updates against 600.
    let minibatch = TrainingConfig {
        epochs: 1,
        ..TrainingConfig::per_minibatch()
    };
    let minibatch = train(&data, &minibatch).unwrap().history;
    assert_eq!(minibatch.updates(), 600);
    assert!(per_sample > minibatch.final_accuracy().unwrap());
}

#[test]
fn lecture_24c_accuracy_stops_climbing_while_the_loss_keeps_falling() {
    let run = train(&Dataset::load().unwrap(), &TrainingConfig::per_sample()).unwrap();
    let epochs = &run.history.epochs;
    // The training loss keeps falling towards zero (now and then an epoch ends a little up) …
    let falls = epochs
        .windows(2)
        .filter(|w| w[1].train_loss < w[0].train_loss)
        .count();
    assert!(falls >= 7, "{epochs:?}");
    assert!(
        epochs[9].train_loss < epochs[2].train_loss / 3.0,
        "{epochs:?}"
    );
    // … while from the third epoch on accuracy wobbles within a point and a half.
    let later: Vec<f64> = epochs[2..].iter().map(|e| e.test_accuracy).collect();
    let (low, high) = later
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &a| (l.min(a), h.max(a)));
    assert!(high - low < 1.5, "{later:?}");
}

/// 24d's claim, in what the rules guarantee: the per-sample rule reaches 90 % after fewer samples
/// than the minibatch rule, but after many times its updates, so which one is first on the clock
/// depends on what an update costs. Those seconds are measured by 24d and `learning-rules bench`
/// (`--rules per-sample --engine burn`), not asserted here, where the machine's load would decide.
#[test]
fn lecture_24d_per_sample_needs_fewer_samples_but_more_updates_to_reach_90() {
    use learning_rules::{Engine, LearningRule};
    let data = Dataset::load().unwrap();
    let to_90 = |rule: LearningRule| {
        let config = TrainingConfig {
            epochs: 1,
            evaluations_per_epoch: 20,
            engine: Engine::Fused,
            ..TrainingConfig::lecture(rule)
        };
        let run = train(&data, &config).unwrap();
        let reached = run
            .history
            .first_reaching(90.0)
            .unwrap_or_else(|| panic!("{rule} never reached 90 %"));
        (reached.epochs * 60_000.0, reached.updates)
    };
    let (per_sample, minibatch) = (
        to_90(LearningRule::PerSample),
        to_90(LearningRule::PerMinibatch),
    );
    assert!(
        per_sample.0 < minibatch.0,
        "samples: {per_sample:?} {minibatch:?}"
    );
    assert!(
        per_sample.1 > 10 * minibatch.1,
        "updates: {per_sample:?} {minibatch:?}"
    );
}
