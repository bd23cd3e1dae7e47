//! The race between the three rules and the batch-size sweep, on a small subset.

use learning_rules::{
    ComparisonConfig, Dataset, Engine, LearningRule, SweepConfig, TrainingConfig, compare_rules,
    per_epoch_for_seconds, sweep_batch_sizes,
};

#[test]
fn comparison_reports_time_and_updates_to_each_threshold() {
    let data = Dataset::load().unwrap();
    let config = ComparisonConfig {
        training: TrainingConfig {
            epochs: 2,
            train_samples: Some(1000),
            evaluations_per_epoch: 4,
            ..TrainingConfig::default()
        },
        engines: vec![Engine::Auto],
        thresholds: vec![50.0, 99.9],
        print_log: false,
        ..ComparisonConfig::default()
    };
    let c = compare_rules(&data, &config).unwrap();
    let rules: Vec<LearningRule> = c.runs.iter().map(|h| h.rule()).collect();
    assert_eq!(rules, LearningRule::ALL);
    // Per-epoch: one measurement per epoch; the others four.
    let measured: Vec<usize> = c.runs.iter().map(|h| h.checkpoints.len()).collect();
    assert_eq!(measured, [2, 8, 8]);

    let md = c.table().to_string();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "| rule | to 50% | to 99.9% | best test acc (%) | best epoch | training s | updates | µs per update |"
    );
    assert_eq!(lines.len(), 5, "{md}");
    // 2 updates cannot reach 50 %; 2,000 per-sample updates do; nobody reaches 99.9 %.
    assert!(
        lines[2].starts_with("| 24a (per-epoch) | not reached | not reached |"),
        "{md}"
    );
    let per_sample = &c.runs[2];
    let reached = per_sample.first_reaching(50.0).unwrap();
    assert!(
        lines[4].contains(&format!(
            "{:.1} s, {} updates",
            reached.seconds, reached.updates
        )),
        "{md}"
    );
    assert!(lines[4].contains("| 2000 |"), "{md}");

    let csv = c.table().csv();
    assert_eq!(csv.lines().count(), 4);
    assert!(
        csv.lines()
            .nth(3)
            .unwrap()
            .starts_with("24c (per-sample),\""),
        "{csv}"
    );

    let dir = tempfile::tempdir().unwrap();
    let files = c.save(dir.path()).unwrap();
    assert_eq!(files.len(), 8);
    assert!(files.iter().all(|f| f.is_file()));
    let svg = std::fs::read_to_string(dir.path().join("accuracy-vs-epochs.svg")).unwrap();
    let best = per_sample.best_epoch().unwrap();
    assert!(svg.contains(&format!(
        "best {:.2}% (epoch {})",
        best.test_accuracy, best.epoch
    )));
    assert!(svg.contains("24b (minibatch)"));
}

#[test]
fn sweep_spans_per_sample_to_per_epoch() {
    let data = Dataset::load().unwrap();
    let sweep = sweep_batch_sizes(
        &data,
        &SweepConfig {
            training: TrainingConfig {
                train_samples: Some(1000),
                ..TrainingConfig::default()
            },
            batch_sizes: vec![1, 10, 1000, 60_000],
            epochs: 1,
            seconds: 0.2,
        },
    )
    .unwrap();
    // 1000 and 60,000 both mean "the whole (1,000-sample) set": one point.
    let got: Vec<(usize, LearningRule, f64, usize)> = sweep
        .points
        .iter()
        .map(|p| {
            (
                p.batch_size,
                p.rule,
                p.learning_rate,
                p.updates_after_epochs,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, LearningRule::PerSample, 0.01, 1000),
            (10, LearningRule::PerMinibatch, 0.1, 100),
            (1000, LearningRule::PerEpoch, 0.1, 1),
        ]
    );
    assert!(sweep.points[0].accuracy_after_epochs > sweep.points[2].accuracy_after_epochs);
    assert!(sweep.points.iter().all(|p| p.updates_after_seconds >= 1));
    let md = sweep.table().to_string();
    assert!(md.contains("acc after 1 epoch (%)"), "{md}");
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(sweep.save(dir.path()).unwrap().len(), 4);

    let empty = SweepConfig {
        batch_sizes: vec![],
        ..SweepConfig::default()
    };
    let e = sweep_batch_sizes(&data, &empty).unwrap_err();
    assert!(e.to_string().contains("at least one batch size"), "{e}");
}

#[test]
fn the_race_runs_on_each_engine_and_says_what_an_update_costs() {
    let data = Dataset::load().unwrap();
    let config = ComparisonConfig {
        training: TrainingConfig {
            epochs: 1,
            train_samples: Some(300),
            evaluations_per_epoch: 1,
            ..TrainingConfig::default()
        },
        engines: vec![Engine::Fused, Engine::Burn],
        burn_time_budget_seconds: Some(30.0),
        print_log: false,
        ..ComparisonConfig::default()
    };
    assert_eq!(
        config
            .for_rule(LearningRule::PerSample, Engine::Burn)
            .time_budget_seconds,
        Some(30.0)
    );
    let c = compare_rules(&data, &config).unwrap();
    let engines: Vec<Engine> = c.runs.iter().map(|h| h.engine.engine).collect();
    use Engine::{Burn, Fused};
    assert_eq!(engines, [Fused, Fused, Fused, Burn, Burn, Burn]);
    assert_eq!(c.runs[5].updates(), 300);
    assert_eq!(c.label(&c.runs[5]), "24c (per-sample), burn");
    let md = c.table().to_string();
    assert!(md.contains("| 24c (per-sample), burn |"), "{md}");
    // What one update cost on each engine, as 24d prints it (by how much burn's is dearer is the
    // benchmark's to measure: the machine's load would decide it here).
    let costs = c.microseconds_per_update(LearningRule::PerSample);
    assert_eq!(costs.iter().map(|c| c.0).collect::<Vec<_>>(), [Fused, Burn]);
    assert!(costs.iter().all(|c| c.1 > 0.0), "{costs:?}");
}

#[test]
fn the_sweep_trains_on_the_engine_it_is_given() {
    let data = Dataset::load().unwrap();
    let sweep = |engine| {
        sweep_batch_sizes(
            &data,
            &SweepConfig {
                training: TrainingConfig {
                    train_samples: Some(200),
                    engine,
                    ..TrainingConfig::default()
                },
                batch_sizes: vec![1, 100],
                epochs: 1,
                seconds: 0.05,
            },
        )
        .unwrap()
    };
    let (fused, burn) = (sweep(Engine::Fused), sweep(Engine::Burn));
    assert_eq!(fused.engine, Some(Engine::Fused));
    assert_eq!(burn.engine, Some(Engine::Burn));
    // The same updates after one epoch on either; the accuracy agrees to a few images.
    for (f, b) in fused.points.iter().zip(&burn.points) {
        assert_eq!(f.updates_after_epochs, b.updates_after_epochs);
        assert!((f.accuracy_after_epochs - b.accuracy_after_epochs).abs() < 0.5);
    }
}

#[test]
fn the_per_epoch_rule_given_seconds_makes_one_update_per_epoch() {
    let data = Dataset::load().unwrap();
    let shared = TrainingConfig {
        train_samples: Some(500),
        ..TrainingConfig::default()
    };
    assert!(
        per_epoch_for_seconds(&data, &shared, 0.0)
            .unwrap()
            .is_none()
    );
    let h = per_epoch_for_seconds(&data, &shared, 0.3).unwrap().unwrap();
    assert!(h.epochs.len() > 3, "{} epochs in 0.3 s", h.epochs.len());
    assert_eq!(h.updates(), h.epochs.len());
    assert!(matches!(
        h.stopped.map(|s| s.reason),
        Some(learning_rules::StopReason::TimeBudget { .. })
    ));
}
