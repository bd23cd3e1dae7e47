//! A training cell's live view in a notebook: a progress line and the chart of the loss so far,
//! redrawn in place while the loop runs.
//!
//! Jupyter lets a kernel show an output and replace it later: a `display_data` message with a
//! `display_id`, then `update_display_data` messages with the same id. The project's kernel
//! (evcxr with patch 0004 of `scripts/patches/evcxr/`, "Let code running in the kernel show and
//! update displays in place") turns a stdout line `EVCXR_DISPLAY_DATA <content>` or
//! `EVCXR_UPDATE_DISPLAY_DATA <content>` into those messages, and sets `EVCXR_DISPLAY_UPDATES`
//! for the code it runs. Anywhere else (a stock evcxr, a
//! terminal, a test) that variable is unset and there is no live view: the lecture's log alone.

use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::history::History;
use crate::numbers::grouped;
use crate::plot::Figure;
use crate::progress::BatchProgress;

/// Set by the project's kernel for the code it runs.
const DISPLAY_UPDATES_ENV: &str = "EVCXR_DISPLAY_UPDATES";
/// The progress line is rewritten at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// The chart is redrawn at the end of an epoch, at most this often (and once more at the end).
const CHART_EVERY: Duration = Duration::from_secs(1);

/// The progress line and the loss chart of one run, each a display updated in place.
pub(crate) struct LiveView {
    /// Unique to the run: every output sharing an id is updated together.
    id: String,
    shown: bool,
    last_progress: Instant,
    last_chart: Option<Instant>,
    last_accuracy: Option<f64>,
}

impl LiveView {
    /// A live view when the kernel can update displays, `None` elsewhere.
    pub(crate) fn if_supported() -> Option<LiveView> {
        std::env::var_os(DISPLAY_UPDATES_ENV).map(|_| LiveView::new())
    }

    fn new() -> LiveView {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        LiveView {
            id: format!("learning-rules-{}-{nanos}", std::process::id()),
            shown: false,
            last_progress: Instant::now(),
            last_chart: None,
            last_accuracy: None,
        }
    }

    /// After a batch: shows both displays the first time (so that the lecture's log lines come
    /// below them), then rewrites the progress line every [`PROGRESS_EVERY`].
    pub(crate) fn batch(&mut self, p: &BatchProgress) {
        if !self.shown {
            self.shown = true;
            self.send("progress", false, text(&self.progress_line(p)));
            let placeholder = "The chart of the training loss appears after the first epoch.";
            self.send("chart", false, text(placeholder));
        } else if self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.send("progress", true, text(&self.progress_line(p)));
        } else {
            return;
        }
        self.last_progress = Instant::now();
    }

    /// After an epoch: remembers its accuracy, and redraws the chart if the last drawing is at
    /// least [`CHART_EVERY`] old.
    pub(crate) fn epoch(&mut self, history: &History) {
        self.last_accuracy = history.final_accuracy();
        if self.last_chart.is_none_or(|t| t.elapsed() >= CHART_EVERY) {
            self.draw_chart(history);
        }
    }

    /// At the end of the run: what it did, and the final chart, which is what the saved
    /// notebook keeps.
    pub(crate) fn finish(&mut self, history: &History) {
        if !self.shown {
            return;
        }
        self.send("progress", true, text(&summary_line(history)));
        self.draw_chart(history);
    }

    fn draw_chart(&mut self, history: &History) {
        if history.epochs.is_empty() && history.update_losses.is_empty() {
            return;
        }
        let figure = crate::plot::training_loss_so_far(history);
        if let Some(data) = png(&figure) {
            self.send("chart", true, data);
        }
        self.last_chart = Some(Instant::now());
    }

    fn progress_line(&self, p: &BatchProgress) -> String {
        let mut line = format!(
            "epoch {}{} · {}/{} samples · update {} · {} samples/s",
            p.epoch,
            if p.epochs == usize::MAX {
                String::new()
            } else {
                format!("/{}", p.epochs)
            },
            group_digits(p.samples_done as f64),
            group_digits(p.samples_total as f64),
            group_digits(p.updates as f64),
            group_digits(p.samples_per_second()),
        );
        if let Some(seconds) = p.seconds_left {
            line.push_str(&format!(" · about {} left", duration(seconds)));
        }
        if let Some(accuracy) = self.last_accuracy {
            line.push_str(&format!(
                " · test accuracy {accuracy:.2}% after epoch {}",
                p.epoch - 1
            ));
        }
        line
    }

    /// Prints the line the kernel turns into a display message for `<id>-<part>`.
    fn send(&self, part: &str, update: bool, data: serde_json::Value) {
        let content = serde_json::json!({
            "data": data,
            "metadata": {},
            "transient": {"display_id": format!("{}-{part}", self.id)},
        });
        let kind = if update {
            "EVCXR_UPDATE_DISPLAY_DATA"
        } else {
            "EVCXR_DISPLAY_DATA"
        };
        println!("{kind} {content}");
    }
}

fn text(line: &str) -> serde_json::Value {
    serde_json::json!({ "text/plain": line })
}

/// The chart as an inline PNG, with a text fallback; `None` if it cannot be drawn (training
/// goes on: the chart is only a view).
fn png(figure: &Figure) -> Option<serde_json::Value> {
    let bytes = figure.to_png(800).ok()?;
    Some(serde_json::json!({
        "image/png": base64::engine::general_purpose::STANDARD.encode(bytes),
        "text/plain": "training loss so far",
    }))
}

/// What the progress line says once the run is over.
fn summary_line(history: &History) -> String {
    let seconds = history.training_seconds();
    let samples: usize = history.epochs.iter().map(|e| e.samples).sum();
    let mut line = format!(
        "done: {} epochs, {} updates in {} of training ({} samples/s)",
        history.epochs.len(),
        group_digits(history.updates() as f64),
        duration(seconds),
        group_digits(samples as f64 / seconds.max(1e-9)),
    );
    if let Some(best) = history.best_epoch() {
        line.push_str(&format!(
            "; best test accuracy {:.2}% at epoch {}",
            best.test_accuracy, best.epoch
        ));
    }
    if let Some(stopped) = &history.stopped {
        line.push_str(&format!(" (stopped early: {})", stopped.reason.short()));
    }
    line
}

/// `12,345`: a count rounded to a whole number, thousands grouped.
fn group_digits(value: f64) -> String {
    grouped(value.max(0.0), 0)
}

/// `4 s`, `2 min 05 s`.
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_as_a_person_writes_them() {
        assert_eq!(group_digits(0.0), "0");
        assert_eq!(group_digits(999.4), "999");
        assert_eq!(group_digits(1_000.0), "1,000");
        assert_eq!(group_digits(61_234_567.0), "61,234,567");
        assert_eq!(duration(4.4), "4 s");
        assert_eq!(duration(125.0), "2 min 05 s");
    }

    #[test]
    fn the_progress_line_says_where_the_run_is() {
        let view = LiveView {
            last_accuracy: Some(95.94),
            ..LiveView::new()
        };
        let p = BatchProgress {
            epoch: 3,
            epochs: 10,
            samples_done: 24_000,
            samples_total: 60_000,
            updates: 1_440,
            loss: 0.2,
            training_seconds: 2.0,
            seconds_left: Some(6.4),
        };
        assert_eq!(
            view.progress_line(&p),
            "epoch 3/10 · 24,000/60,000 samples · update 1,440 · 72,000 samples/s · about 6 s \
             left · test accuracy 95.94% after epoch 2"
        );
    }
}
