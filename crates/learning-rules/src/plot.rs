//! Line charts for notebooks and slides: shown inline by evcxr, saved as PNG or SVG.
//!
//! A [`Figure`] keeps its data, not pixels, so the same chart renders at notebook size, at
//! slide resolution, or as SVG. Text uses the DejaVu Sans font bundled in the crate, registered
//! at every render: evcxr gives each cell its own copy of statics, so nothing registered in an
//! earlier cell can be relied on.

use std::path::{Path, PathBuf};

use base64::Engine as _;
pub use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result, write_file};
use crate::history::History;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Width a slide export is drawn at (the figure's proportions are kept).
pub const SLIDE_WIDTH: u32 = 2000;

/// Colours of successive lines (matplotlib's, which the lecture's plots use).
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// Few points (one per epoch): a line with a dot on each.
    Line,
    /// Many noisy points (one per update): faint dots, its top 1 % drawn at the chart's edge.
    Trace,
    /// Many smooth points (a moving average): a thick line.
    Curve,
}

#[derive(Clone, Debug)]
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    style: Style,
}

#[derive(Clone, Debug)]
struct Marker {
    label: String,
    at: (f64, f64),
    color: RGBColor,
}

/// A chart with a title, axis labels, lines and labelled markers.
#[derive(Clone, Debug)]
pub struct Figure {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    markers: Vec<Marker>,
    size: (u32, u32),
    log_x: bool,
    legend: SeriesLabelPosition,
}

impl Figure {
    /// An empty 800 × 500 chart.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Figure {
        Figure {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            markers: Vec::new(),
            size: (800, 500),
            log_x: false,
            legend: SeriesLabelPosition::UpperRight,
        }
    }

    fn add(mut self, name: &str, points: Vec<(f64, f64)>, style: Style) -> Figure {
        let color = PALETTE[self.series.len() % PALETTE.len()];
        self.series.push(Series {
            name: name.into(),
            points,
            color,
            style,
        });
        self
    }

    /// Adds a line named `name` in the legend, a dot on each point; colours follow the palette.
    pub fn line(self, name: &str, points: Vec<(f64, f64)>) -> Figure {
        self.add(name, points, Style::Line)
    }

    /// Adds faint dots for many noisy points, such as one per update.
    pub fn trace(self, name: &str, points: Vec<(f64, f64)>) -> Figure {
        self.add(name, points, Style::Trace)
    }

    /// Adds a thick line without dots for many smooth points, such as a moving average.
    pub fn curve(self, name: &str, points: Vec<(f64, f64)>) -> Figure {
        self.add(name, points, Style::Curve)
    }

    /// Marks one point with a label, in the colour of line `series` (0-based).
    pub fn marker(mut self, series: usize, label: &str, at: (f64, f64)) -> Figure {
        let color = PALETTE[series % PALETTE.len()];
        self.markers.push(Marker {
            label: label.into(),
            at,
            color,
        });
        self
    }

    /// A logarithmic x axis (batch sizes, update counts).
    pub fn log_x(mut self) -> Figure {
        self.log_x = true;
        self
    }

    /// Where the legend goes (upper right unless told): choose a corner the lines leave empty.
    pub fn legend(mut self, position: SeriesLabelPosition) -> Figure {
        self.legend = position;
        self
    }

    /// Size in pixels of the PNG shown inline (and of the SVG).
    pub fn size(mut self, width: u32, height: u32) -> Figure {
        self.size = (width, height);
        self
    }

    /// The chart as a PNG `width` pixels wide (height in proportion).
    pub fn to_png(&self, width: u32) -> Result<Vec<u8>> {
        let (w, h) = (
            width,
            (f64::from(width) * f64::from(self.size.1) / f64::from(self.size.0)) as u32,
        );
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            self.draw(&root, f64::from(w) / f64::from(self.size.0))?;
            root.present().map_err(plot_error)?;
        }
        let mut png_bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut png_bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(plot_error)?;
        writer.write_image_data(&rgb).map_err(plot_error)?;
        writer.finish().map_err(plot_error)?;
        Ok(png_bytes)
    }

    /// The chart as SVG text.
    pub fn to_svg(&self) -> Result<String> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            self.draw(&root, 1.0)?;
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Writes the chart to `path`: `.svg` as SVG, anything else as a PNG of the inline size.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        self.write(path.as_ref(), self.size.0)
    }

    /// Writes a PNG for slides, [`SLIDE_WIDTH`] pixels wide (`.svg` paths get SVG, which
    /// scales anyway).
    pub fn save_for_slides(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        self.write(path.as_ref(), SLIDE_WIDTH)
    }

    fn write(&self, path: &Path, png_width: u32) -> Result<PathBuf> {
        let bytes = match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => self.to_svg()?.into_bytes(),
            Some("png") => self.to_png(png_width)?,
            _ => {
                return Err(Error::write(path, "use a file name ending in .png or .svg"));
            }
        };
        write_file(path, bytes)
    }

    /// evcxr shows a cell's last value through this method: the chart as an inline PNG.
    pub fn evcxr_display(&self) {
        match self.to_png(self.size.0) {
            Ok(png) => println!(
                "EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\n{e}\nEVCXR_END_CONTENT"),
        }
    }

    fn x_of(&self, x: f64) -> f64 {
        if self.log_x { x.log10() } else { x }
    }

    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        // A trace's rare spikes would squash everything else: its top 1 % is left off-chart.
        let clip = |s: &Series| -> f64 {
            if s.style != Style::Trace {
                return f64::INFINITY;
            }
            let mut ys: Vec<f64> = s
                .points
                .iter()
                .map(|p| p.1)
                .filter(|y| y.is_finite())
                .collect();
            ys.sort_by(f64::total_cmp);
            ys.get(ys.len() * 99 / 100)
                .copied()
                .unwrap_or(f64::INFINITY)
        };
        let points = self.series.iter().flat_map(|s| {
            let top = clip(s);
            s.points.iter().copied().filter(move |p| p.1 <= top)
        });
        let points = points.chain(self.markers.iter().map(|m| m.at));
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
            let x = self.x_of(x);
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        if x0 > x1 {
            return ((0.0, 1.0), (0.0, 1.0));
        }
        let pad = |lo: f64, hi: f64, frac: f64| {
            let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
            (lo - span * frac, hi + span * frac)
        };
        (pad(x0, x1, 0.03), pad(y0, y1, 0.08))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: f64) -> Result<()> {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| Error::Plot("the bundled font could not be read".into()))?;
        let px = |v: f64| (v * scale).round() as u32;
        let font = |size: f64| ("sans-serif", size * scale).into_font();
        root.fill(&WHITE).map_err(plot_error)?;
        let ((x0, x1), (y0, y1)) = self.bounds();
        let log_x = self.log_x;
        // Epoch axes: integer ticks only.
        let integer_x = !log_x
            && self
                .series
                .iter()
                .flat_map(|s| &s.points)
                .all(|p| p.0.fract() == 0.0)
            && x1 - x0 <= 40.0;
        let x_ticks = if integer_x {
            ((x1 - x0).ceil() as usize + 1).min(12)
        } else if log_x {
            // Half-decade steps, so that every power of ten gets a tick; only those are labelled.
            ((x1 - x0) * 2.0).ceil() as usize + 1
        } else {
            10
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(22.0))
            .margin(px(14.0))
            .x_label_area_size(px(48.0))
            .y_label_area_size(px(70.0))
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(font(14.0))
            .axis_desc_style(font(16.0))
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(x_ticks)
            .x_label_formatter(&|x| {
                if log_x {
                    if (x - x.round()).abs() < 1e-9 {
                        format_number(10f64.powf(x.round()))
                    } else {
                        String::new()
                    }
                } else if integer_x && x.fract().abs() > 1e-9 {
                    String::new()
                } else {
                    format_number(*x)
                }
            })
            .y_label_formatter(&|y| format_number(*y))
            .draw()
            .map_err(plot_error)?;
        for s in &self.series {
            // Values beyond the chart (a trace's rare spikes) are drawn at its edge.
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|&(x, y)| (self.x_of(x), y.clamp(y0, y1)))
                .collect();
            let color = s.color.to_rgba();
            let line = color.stroke_width(px(2.0));
            if s.style == Style::Trace {
                // Thousands of noisy values: faint dots, not a line zig-zagging between them.
                let faint = s.color.mix(0.3).filled();
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, px(1.2).max(1), faint)),
                    )
                    .map_err(plot_error)?
                    .label(&s.name)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 3, faint));
                continue;
            }
            chart
                .draw_series(LineSeries::new(points.iter().copied(), line))
                .map_err(plot_error)?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
            if s.style == Style::Line && points.len() <= 60 {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, px(3.5), s.color.filled())),
                    )
                    .map_err(plot_error)?;
            }
        }
        for m in &self.markers {
            let at = (self.x_of(m.at.0), m.at.1);
            chart
                .draw_series([Circle::new(at, px(7.0), m.color.stroke_width(px(2.0)))])
                .map_err(plot_error)?;
            // Labels point inwards, so that one at the right edge is not cut off.
            let (h, label) = if at.0 > (x0 + x1) / 2.0 {
                (HPos::Right, format!("{}  ", m.label.trim()))
            } else {
                (HPos::Left, format!("  {}", m.label.trim()))
            };
            let style = font(13.0).color(&m.color).pos(Pos::new(h, VPos::Bottom));
            chart
                .draw_series([Text::new(label, at, style)])
                .map_err(plot_error)?;
        }
        if self.series.len() > 1 || self.series.iter().any(|s| !s.name.is_empty()) {
            chart
                .configure_series_labels()
                .label_font(font(14.0))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .position(self.legend.clone())
                .draw()
                .map_err(plot_error)?;
        }
        Ok(())
    }
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// Tick labels without float noise: `0.1`, `2`, `60000`, `1e6`.
fn format_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{v:.0e}")
    } else if a >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

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

fn label(h: &History) -> String {
    format!("{} ({})", h.rule().lecture_part(), h.rule())
}

/// Mean training loss per epoch, one line per run.
pub fn loss_per_epoch(runs: &[&History]) -> Figure {
    runs.iter().fold(
        Figure::new("Training loss per epoch", "epoch", "mean training loss"),
        |fig, h| {
            fig.line(
                &label(h),
                h.epochs
                    .iter()
                    .map(|e| (e.epoch as f64, e.train_loss))
                    .collect(),
            )
        },
    )
}

/// Test accuracy per epoch, one line per run, the best epoch of each marked.
pub fn accuracy_per_epoch(runs: &[&History]) -> Figure {
    let mut fig = Figure::new("Test accuracy per epoch", "epoch", "test accuracy (%)")
        .legend(SeriesLabelPosition::LowerRight);
    for (i, h) in runs.iter().enumerate() {
        fig = fig.line(
            &label(h),
            h.epochs
                .iter()
                .map(|e| (e.epoch as f64, e.test_accuracy))
                .collect(),
        );
        if let Some(best) = h.best_epoch() {
            let text = format!("  best {:.2}% (epoch {})", best.test_accuracy, best.epoch);
            fig = fig.marker(i, &text, (best.epoch as f64, best.test_accuracy));
        }
    }
    fig
}

/// The loss of every update (thin) and its moving average over `window` updates (thick): the
/// jitter of small batches the lecture talks about.
pub fn update_losses(run: &History, window: usize) -> Figure {
    let title = format!("Loss of every update, {}", label(run));
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
