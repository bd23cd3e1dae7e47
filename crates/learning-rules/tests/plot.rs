//! Charts: real PNG and SVG files with the run's data, titles and labels.

use learning_rules::plot::{accuracy_per_epoch, moving_average};
use learning_rules::{Dataset, Figure, LearningRule, TrainingConfig, train};

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

fn history(rule: LearningRule) -> learning_rules::History {
    let config = TrainingConfig {
        epochs: 3,
        train_samples: Some(1000),
        ..TrainingConfig::lecture(rule)
    };
    train(&Dataset::load().unwrap(), &config).unwrap().history
}

#[test]
fn figures_render_as_png_and_svg_with_their_text() {
    let h = history(LearningRule::PerMinibatch);
    let dir = tempfile::tempdir().unwrap();
    let (epochs, updates) = (h.epochs.len(), h.update_losses.len());
    for (fig, title, points) in [
        (h.loss_figure(), "Training loss per epoch", epochs),
        (h.accuracy_figure(), "Test accuracy per epoch", epochs),
        (
            h.update_loss_figure(5),
            "Loss of every update, 24b (minibatch)",
            updates,
        ),
    ] {
        let png = fig.to_png(800).unwrap();
        assert_eq!(png_size(&png), (800, 500));
        let svg = fig.to_svg().unwrap();
        assert!(svg.contains(title), "{title} missing from the SVG");
        // The legend's sample line has two points; the data series has one per record.
        let lines = polyline_lengths(&svg);
        assert!(
            lines.contains(&points),
            "{title}: no line of {points} points, only {lines:?}"
        );
        let slide = fig.save_for_slides(dir.path().join("slide.png")).unwrap();
        let (w, h) = png_size(&std::fs::read(slide).unwrap());
        assert!(w >= 1600 && h == w * 5 / 8, "{w}×{h}");
        let svg_file = fig.save(dir.path().join("fig.svg")).unwrap();
        assert!(
            std::fs::read_to_string(svg_file)
                .unwrap()
                .starts_with("<svg")
        );
    }
}

#[test]
fn accuracy_chart_marks_the_best_epoch_of_each_run() {
    let (a, b) = (
        history(LearningRule::PerEpoch),
        history(LearningRule::PerMinibatch),
    );
    let svg = accuracy_per_epoch(&[&a, &b]).to_svg().unwrap();
    assert!(
        svg.contains("24a (per-epoch)") && svg.contains("24b (minibatch)"),
        "legend missing"
    );
    let best = b.best_epoch().unwrap();
    assert!(svg.contains(&format!(
        "best {:.2}% (epoch {})",
        best.test_accuracy, best.epoch
    )));
}

#[test]
fn saving_needs_a_known_extension() {
    let e = Figure::new("t", "x", "y")
        .line("a", vec![(0.0, 1.0)])
        .save("/tmp/x.jpg")
        .unwrap_err();
    assert!(e.to_string().contains("ending in .png or .svg"), "{e}");
}

#[test]
fn moving_average_is_the_mean_of_the_last_window() {
    let avg = moving_average(&[1.0, 2.0, 3.0, 4.0, 5.0], 2);
    assert_eq!(
        avg,
        vec![(1.0, 1.0), (2.0, 1.5), (3.0, 2.5), (4.0, 3.5), (5.0, 4.5)]
    );
}

/// The number of points of each `<polyline>` in an SVG.
fn polyline_lengths(svg: &str) -> Vec<usize> {
    svg.split("<polyline")
        .skip(1)
        .filter_map(|p| p.split_once("points=\"").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(points, _)| points))
        .map(|points| points.split_whitespace().count())
        .collect()
}

/// The texts of an SVG's `<text>` elements.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(text, _)| text.trim().to_string())
        .collect()
}

#[test]
fn tick_labels_stay_distinct_on_a_narrow_range() {
    // 24a's loss: ten epochs between 2.305 and 2.268, where one decimal labelled every tick "2.3".
    let losses: Vec<(f64, f64)> = (1..=10)
        .map(|e| (e as f64, 2.305 - 0.0041 * (e - 1) as f64))
        .collect();
    let svg = Figure::new("Training loss per epoch", "epoch", "loss")
        .line("24a", losses)
        .to_svg()
        .unwrap();
    let y_labels: Vec<String> = svg_texts(&svg)
        .into_iter()
        .filter(|t| t.starts_with("2."))
        .collect();
    assert!(y_labels.len() >= 4, "{y_labels:?}");
    let mut distinct = y_labels.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        y_labels.len(),
        "repeated labels: {y_labels:?}"
    );
    assert!(y_labels.iter().all(|l| l.len() <= 6), "{y_labels:?}");
}
