//! The charts of a run's [`History`]: loss and accuracy per epoch, and the loss of every update.

use std::path::{Path, PathBuf};

use super::Figure;
use crate::error::Result;
use crate::history::{EpochRecord, History};

/// Trailing mean of the last `window` values (fewer at the start), one point per value,
/// numbered from 1.
pub fn moving_average(values: &[f32], window: usize) -> Vec<(f64, f64)> {
    let window = window.max(1);
    let mut sum = 0.0f64;
    let mut out = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        sum += f64::from(v);
        if i >= window {
            sum -= f64::from(values[i - window]);
        }
        out.push(((i + 1) as f64, sum / (i + 1).min(window) as f64));
    }
    out
}

/// `(update number, value)` pairs, numbered from 1.
fn indexed(values: &[f32]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64, f64::from(v)))
        .collect()
}

/// Every k-th point, so that no more than about `max` are drawn.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(max.max(1)).max(1);
    points.into_iter().step_by(step).collect()
}

/// `(position on an axis of epochs, value)` of every epoch of `run`: a stopped epoch at its
/// fraction (2.45), not at a whole epoch it never finished.
fn per_epoch(run: &History, value: impl Fn(&EpochRecord) -> f64) -> Vec<(f64, f64)> {
    run.epochs
        .iter()
        .map(|e| (e.position(run.train_samples), value(e)))
        .collect()
}

/// Marks the stopped epoch of `run` (line `series`), if it has one, as partial.
fn mark_partial(
    fig: Figure,
    series: usize,
    run: &History,
    value: impl Fn(&EpochRecord) -> f64,
) -> Figure {
    match run.epochs.iter().find(|e| e.partial) {
        Some(e) => {
            let share = 100.0 * e.samples as f64 / run.train_samples.max(1) as f64;
            let text = format!("epoch {} stopped at {share:.0} %", e.epoch);
            fig.marker(series, &text, (e.position(run.train_samples), value(e)))
        }
        None => fig,
    }
}

/// Mean training loss per epoch, one line per run.
pub fn loss_per_epoch(runs: &[&History]) -> Figure {
    let mut fig = Figure::new("Training loss per epoch", "epoch", "mean training loss");
    for (i, h) in runs.iter().enumerate() {
        fig = fig.line(&h.label(), per_epoch(h, |e| e.train_loss));
        fig = mark_partial(fig, i, h, |e| e.train_loss);
    }
    fig
}

/// Test accuracy per epoch, one line per run, the best epoch of each marked.
pub fn accuracy_per_epoch(runs: &[&History]) -> Figure {
    let mut fig = Figure::new("Test accuracy per epoch", "epoch", "test accuracy (%)");
    for (i, h) in runs.iter().enumerate() {
        fig = fig.line(&h.label(), per_epoch(h, |e| e.test_accuracy));
        fig = mark_partial(fig, i, h, |e| e.test_accuracy);
        if let Some(best) = h.best_epoch() {
            let text = format!("  best {:.2}% (epoch {})", best.test_accuracy, best.epoch);
            let at = (best.position(h.train_samples), best.test_accuracy);
            fig = fig.marker(i, &text, at);
        }
    }
    fig
}

/// The loss of every update (thin) and its moving average over `window` updates (thick): the
/// jitter of small batches the lecture talks about.
pub fn update_losses(run: &History, window: usize) -> Figure {
    let title = format!("Loss of every update, {}", run.label());
    Figure::new(&title, "update", "loss")
        .trace(
            "loss of each update",
            thin(indexed(&run.update_losses), 4000),
        )
        .curve(
            &format!("moving average of {window}"),
            thin(moving_average(&run.update_losses, window), 3000),
        )
}

/// The training loss so far, on an axis of epochs: every update's loss (faint, when there is
/// more than one update per epoch) and each finished epoch's mean. What a training cell redraws
/// while it runs.
pub(crate) fn training_loss_so_far(run: &History) -> Figure {
    let title = format!("Training loss so far, {}", run.label());
    let mut fig = Figure::new(&title, "epoch", "loss");
    let updates_per_epoch = run
        .epochs
        .first()
        .map_or(run.update_losses.len(), |e| e.updates);
    if updates_per_epoch > 1 {
        let at_epoch = indexed(&run.update_losses)
            .into_iter()
            .map(|(i, loss)| (i / updates_per_epoch as f64, loss))
            .collect();
        fig = fig.trace("loss of each update", thin(at_epoch, 4000));
    }
    let fig = fig.line("mean loss of each epoch", per_epoch(run, |e| e.train_loss));
    let series = usize::from(updates_per_epoch > 1);
    mark_partial(fig, series, run, |e| e.train_loss)
}

// A run's own charts are methods of `History`, so a cell writes `run.history.loss_figure()`;
// they live here rather than in history.rs so that the record of a run does not depend on the
// drawing code, and each chart sits beside the function that draws several runs at once.
impl History {
    /// [`loss_per_epoch`] of this run.
    pub fn loss_figure(&self) -> Figure {
        loss_per_epoch(&[self])
    }

    /// [`accuracy_per_epoch`] of this run.
    pub fn accuracy_figure(&self) -> Figure {
        accuracy_per_epoch(&[self])
    }

    /// [`update_losses`] of this run.
    pub fn update_loss_figure(&self, window: usize) -> Figure {
        update_losses(self, window)
    }

    /// This run's charts, each as a slide-sized PNG and an SVG: `<prefix>-loss`,
    /// `<prefix>-accuracy` and, for rules with more than one update per epoch,
    /// `<prefix>-updates` (moving average over a fiftieth of the run). Returns the files written.
    pub fn save_figures(&self, prefix: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let prefix = prefix.as_ref().to_string_lossy().into_owned();
        let mut figures = vec![
            ("loss", self.loss_figure()),
            ("accuracy", self.accuracy_figure()),
        ];
        if self.rule() != crate::LearningRule::PerEpoch {
            let window = (self.update_losses.len() / 50).max(1);
            figures.push(("updates", self.update_loss_figure(window)));
        }
        let mut files = Vec::new();
        for (name, figure) in figures {
            files.push(figure.save_for_slides(format!("{prefix}-{name}.png"))?);
            files.push(figure.save(format!("{prefix}-{name}.svg"))?);
        }
        Ok(files)
    }
}
