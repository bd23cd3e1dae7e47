//! Runs beside the race that 24a and 24d show: one configuration over several seeds (how much of
//! a result is the luck of the initial weights), and the per-epoch rule given many epochs.

use super::Table;
use crate::config::TrainingConfig;
use crate::data::Dataset;
use crate::error::Result;
use crate::history::History;
use crate::observer::LectureLog;
use crate::train::train_with;

/// `config` trained once per seed, silently: how much of a result is the luck of the initial
/// weights (24a's ten updates land far apart).
pub fn train_seeds(
    data: &Dataset,
    config: &TrainingConfig,
    seeds: impl IntoIterator<Item = u64>,
) -> Result<Vec<History>> {
    let mut runs = Vec::new();
    for seed in seeds {
        let history = train_with(
            data,
            &TrainingConfig {
                seed,
                ..config.clone()
            },
            (),
        )?
        .history;
        let interrupted = history.was_interrupted();
        runs.push(history);
        if interrupted {
            break;
        }
    }
    Ok(runs)
}

/// The per-epoch rule (lecture settings, `config`'s shared ones) trained for `seconds` of
/// training however many epochs that takes, printing the lecture's log: how far one update per
/// epoch gets given many epochs. `None` when `seconds` is 0 (the run is optional).
pub fn per_epoch_for_seconds(
    data: &Dataset,
    config: &TrainingConfig,
    seconds: f64,
) -> Result<Option<History>> {
    if seconds <= 0.0 {
        return Ok(None);
    }
    let training = TrainingConfig {
        evaluations_per_epoch: 1,
        ..TrainingConfig::per_epoch()
            .with_shared_settings(config)
            .for_seconds(seconds)
    };
    Ok(Some(
        train_with(data, &training, LectureLog::default())?.history,
    ))
}

/// One row per run of [`train_seeds`] (seed, final training loss, final test accuracy), then
/// the range of each.
pub fn seed_table(runs: &[History]) -> Table {
    let finals: Vec<(u64, f64, f64)> = runs
        .iter()
        .filter_map(|h| {
            let e = h.epochs.last()?;
            Some((h.config.seed, e.train_loss, e.test_accuracy))
        })
        .collect();
    let mut rows: Vec<Vec<String>> = finals
        .iter()
        .map(|(seed, loss, acc)| vec![seed.to_string(), format!("{loss:.4}"), format!("{acc:.2}")])
        .collect();
    let range = |f: fn(&(u64, f64, f64)) -> f64, digits: usize| {
        let lo = finals.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = finals.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.digits$} to {hi:.digits$}")
    };
    if !finals.is_empty() {
        rows.push(vec!["range".into(), range(|r| r.1, 4), range(|r| r.2, 2)]);
    }
    Table {
        header: ["seed", "final train loss", "final test acc (%)"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}
