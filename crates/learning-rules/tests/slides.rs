//! Every chart the crate draws, as a lecturer would put it on a slide, read back from the SVG it
//! writes: tick labels present, distinct, increasing and each within rounding of the value at
//! its position (linear or log); no legend over a series' points or lines; points beyond the
//! plotted range marked; a stopped epoch placed at its fraction. On the real charts of a quick
//! run: the race (`compare_rules`), the batch-size sweep, a run's charts and the live chart.

use std::path::Path;

use learning_rules::{
    ComparisonConfig, Dataset, Engine, Learner, Recorder, SweepConfig, TrainingConfig,
    TrainingOrder, compare_rules, sweep_batch_sizes, train,
};

/// An SVG element: its tag, attributes, and text (for `<text>`), in document order.
#[derive(Debug)]
struct Element {
    tag: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number {name} in {self:?}"))
    }

    fn points(&self) -> Vec<(f64, f64)> {
        if self.tag == "circle" {
            return vec![(self.num("cx"), self.num("cy"))];
        }
        self.attr("points")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|p| p.split_once(','))
            .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
            .collect()
    }
}

/// plotters writes one element per tag, attributes in double quotes: enough to read it back.
fn parse(svg: &str) -> Vec<Element> {
    let mut elements = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag_text = &rest[..end];
        rest = &rest[end + 1..];
        if tag_text.starts_with('/') || tag_text.starts_with('?') {
            continue;
        }
        let tag = tag_text.split_whitespace().next().unwrap_or("").to_string();
        let mut attrs = Vec::new();
        for part in tag_text.split("\" ").map(str::trim) {
            if let Some((k, v)) = part.split_once("=\"") {
                let key = k.split_whitespace().last().unwrap_or("").to_string();
                attrs.push((key, v.trim_end_matches(['"', '/']).to_string()));
            }
        }
        let text = if tag == "text" {
            rest[..rest.find("</text>").unwrap()].trim().to_string()
        } else {
            String::new()
        };
        elements.push(Element { tag, attrs, text });
    }
    elements
}

/// Checks one axis's tick labels (`labels`: pixel position and text, in any order): present,
/// distinct, increasing along the axis, and either evenly spaced in value (a linear axis) or in
/// the value's logarithm (a log axis, where no label may read 0), each within rounding of the
/// value its position stands for.
fn check_ticks(chart: &str, axis: &str, mut labels: Vec<(f64, String)>) {
    assert!(labels.len() >= 2, "{chart}: {axis} axis has {labels:?}");
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    if axis == "y" {
        labels.reverse(); // pixels grow downwards
    }
    let values: Vec<f64> = labels
        .iter()
        .map(|(_, l)| {
            l.replace(',', "")
                .parse()
                .unwrap_or_else(|_| panic!("{chart}: {axis} label {l:?} is not a number"))
        })
        .collect();
    assert!(
        values.windows(2).all(|w| w[1] > w[0]),
        "{chart}: {axis} labels not distinct and increasing: {labels:?}"
    );
    // Pixel positions are whole pixels: each label is allowed two pixels' worth of its value.
    let fits = |f: &dyn Fn(f64) -> f64| {
        let (p0, v0) = (labels[0].0, f(values[0]));
        let (p1, v1) = (labels[labels.len() - 1].0, f(values[values.len() - 1]));
        let pixel = ((v1 - v0) / (p1 - p0)).abs();
        labels.iter().zip(&values).all(|((p, _), v)| {
            let expected = v0 + (v1 - v0) * (p - p0) / (p1 - p0);
            (f(*v) - expected).abs() <= 2.0 * pixel
        })
    };
    let linear = fits(&|v| v);
    let log = values.iter().all(|v| *v > 0.0) && fits(&|v: f64| v.log10());
    assert!(
        linear || log,
        "{chart}: {axis} labels stand at positions of other values: {labels:?}"
    );
}

/// The checks every chart must pass; returns its elements for chart-specific ones.
fn check_chart(path: &Path) -> Vec<Element> {
    let chart = path.file_name().unwrap().to_string_lossy().into_owned();
    let svg = std::fs::read_to_string(path).unwrap();
    let elements = parse(&svg);
    let height = elements[0].num("height");
    let texts = || elements.iter().filter(|e| e.tag == "text");
    let x_labels = texts()
        .filter(|e| e.attr("dy") == Some("0.76em") && e.num("y") > height / 2.0)
        .map(|e| (e.num("x"), e.text.clone()))
        .collect();
    let y_labels = texts()
        .filter(|e| e.attr("dy") == Some("0.5ex") && e.attr("text-anchor") == Some("end"))
        .map(|e| (e.num("y"), e.text.clone()))
        .collect();
    check_ticks(&chart, "x", x_labels);
    check_ticks(&chart, "y", y_labels);

    // The legend: no series point or line, no marker drawn before it lies under it.
    let border = "#C8C8C8";
    if let Some(at) = elements
        .iter()
        .position(|e| e.tag == "rect" && e.attr("stroke") == Some(border))
    {
        let legend = &elements[at];
        let (x0, y0) = (legend.num("x"), legend.num("y"));
        let (x1, y1) = (x0 + legend.num("width"), y0 + legend.num("height"));
        let under = |(x, y): (f64, f64)| x >= x0 && x <= x1 && y >= y0 && y <= y1;
        for element in &elements[..at] {
            let colour = element
                .attr("stroke")
                .or(element.attr("fill"))
                .unwrap_or("");
            let is_data = matches!(element.tag.as_str(), "circle" | "polyline" | "polygon")
                && !["#000000", "#E4E4E4", "#FFFFFF"].contains(&colour);
            if !is_data {
                continue;
            }
            let points = element.points();
            let mut along = points.clone();
            for pair in points.windows(2) {
                along.extend((1..20).map(|i| {
                    let t = f64::from(i) / 20.0;
                    (
                        pair[0].0 + (pair[1].0 - pair[0].0) * t,
                        pair[0].1 + (pair[1].1 - pair[0].1) * t,
                    )
                }));
            }
            assert!(
                !along.into_iter().any(under),
                "{chart}: the legend ({x0},{y0})-({x1},{y1}) covers {element:?}"
            );
        }
    }
    elements
}

fn svgs(files: &[std::path::PathBuf]) -> Vec<&std::path::PathBuf> {
    files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .collect()
}

#[test]
fn the_race_and_the_sweep_draw_charts_ready_for_slides() {
    let data = Dataset::load().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let race = compare_rules(
        &data,
        &ComparisonConfig {
            training: TrainingConfig {
                epochs: 1,
                train_samples: Some(6_000),
                evaluations_per_epoch: 4,
                ..TrainingConfig::default()
            },
            engines: vec![Engine::Auto, Engine::Burn],
            burn_time_budget_seconds: Some(4.0),
            print_log: false,
            ..ComparisonConfig::default()
        },
    )
    .unwrap();
    let files = race.save(dir.path()).unwrap();
    let charts = svgs(&files);
    assert_eq!(charts.len(), 3, "{files:?}");
    for chart in &charts {
        check_chart(chart);
    }
    let seconds = dir.path().join("accuracy-vs-seconds.svg");
    assert!(charts.contains(&&seconds), "{files:?}");
    let labels: Vec<String> = parse(&std::fs::read_to_string(&seconds).unwrap())
        .into_iter()
        .filter(|e| e.tag == "text" && e.attr("dy") == Some("0.76em") && e.num("y") > 250.0)
        .map(|e| e.text)
        .collect();
    assert!(
        !labels.iter().any(|l| l == "0" || l.is_empty()),
        "{labels:?}"
    );

    let sweep = sweep_batch_sizes(
        &data,
        &SweepConfig {
            training: TrainingConfig {
                train_samples: Some(2_000),
                ..TrainingConfig::default()
            },
            batch_sizes: vec![1, 10, 100, 2_000],
            epochs: 1,
            seconds: 0.3,
        },
    )
    .unwrap();
    for chart in svgs(&sweep.save(dir.path()).unwrap()) {
        check_chart(chart);
    }
}

#[test]
fn a_runs_charts_are_ready_for_slides_and_mark_what_they_clip() {
    let data = Dataset::load().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for config in [
        TrainingConfig::per_minibatch(),
        TrainingConfig::per_sample(),
    ] {
        let run = train(
            &data,
            &TrainingConfig {
                epochs: 2,
                train_samples: Some(3_000),
                ..config
            },
        )
        .unwrap();
        let prefix = dir.path().join(run.history.rule().lecture_part());
        for chart in svgs(&run.history.save_figures(&prefix).unwrap()) {
            let elements = check_chart(chart);
            if chart.to_string_lossy().ends_with("-updates.svg") {
                // The trace's top 1 % lies above the plotted range: drawn as triangles at the
                // edge and counted in the legend (24c's 6,000 updates have some; 24b's 60 not).
                let triangles = elements.iter().filter(|e| e.tag == "polygon").count();
                let explained = elements
                    .iter()
                    .any(|e| e.tag == "text" && e.text.contains("above the chart, at its edge"));
                let updates = run.history.update_losses.len();
                assert_eq!(
                    triangles > 0,
                    updates >= 1_000,
                    "{chart:?}: {triangles} triangles"
                );
                assert_eq!(
                    explained,
                    triangles > 0,
                    "{chart:?}: clipped points unexplained"
                );
            }
        }
    }
}

#[test]
fn a_stopped_epoch_is_placed_at_its_fraction_and_called_partial() {
    let data = Dataset::load().unwrap();
    // The notebooks' loop, stopped (as Stop would) 25 batches into the second epoch.
    let config = TrainingConfig {
        epochs: 3,
        train_samples: Some(6_000),
        ..TrainingConfig::per_minibatch()
    };
    let mut learner = Learner::new(&data, &config).unwrap();
    let mut log = Recorder::with_observer(&config, &learner, ());
    let stop = log.stop_signal();
    let mut order = TrainingOrder::for_config(learner.train_len(), &config);
    'epochs: for epoch in 0..config.epochs {
        for (i, batch) in order.next_epoch().chunks(config.batch_size).enumerate() {
            let loss = learner.step(batch, config.learning_rate).unwrap();
            log.batch(loss, batch.len());
            log.update();
            if epoch == 1 && i == 24 {
                stop.stop();
            }
            if log.should_stop() {
                log.end_epoch(&mut learner, &data.test).unwrap();
                break 'epochs;
            }
        }
        log.end_epoch(&mut learner, &data.test).unwrap();
    }
    let history = log.finish(&learner).unwrap().history;
    let last = history.epochs.last().unwrap();
    assert_eq!((last.epoch, last.samples, last.partial), (2, 2_500, true));
    assert!(!history.epochs[0].partial);
    assert_eq!(
        last.position(history.train_samples),
        1.0 + 2_500.0 / 6_000.0
    );
    let lines = last.log_lines(history.train_samples);
    assert!(!lines.contains("completed"), "{lines}");
    assert!(
        lines.contains(&format!("Epoch {} stopped after ", last.epoch))
            && lines.contains(" of 6,000 samples ("),
        "{lines}"
    );
    assert!(
        history.summary().contains("* partial: stopped after"),
        "{}",
        history.summary()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.svg");
    history.loss_figure().save(&path).unwrap();
    let elements = check_chart(&path);
    let note = "epoch 2 stopped at 42 %";
    assert!(
        elements
            .iter()
            .any(|e| e.tag == "text" && e.text.contains(note)),
        "no `{note}` on the loss chart"
    );
}
