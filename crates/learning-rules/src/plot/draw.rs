//! How a [`Figure`] becomes pixels: axes and their ticks, then the series, the markers and
//! the legend, on any plotters backend (bitmap for PNG, SVG).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, Figure, Series, Style, plot_error};
use crate::error::{Error, Result};

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Labels on an axis that is not an epoch or log axis: at most this many.
const TICKS: usize = 10;

/// Sizes in the figure's own pixels, multiplied by the render's scale.
struct Scale(f64);

impl Scale {
    fn px(&self, v: f64) -> u32 {
        (v * self.0).round() as u32
    }

    fn font(&self, size: f64) -> FontDesc<'static> {
        ("sans-serif", size * self.0).into_font()
    }
}

impl Figure {
    pub(super) fn x_of(&self, x: f64) -> f64 {
        if self.log_x { x.log10() } else { x }
    }

    /// Draws the whole chart on `root`; `scale` multiplies every size (slide exports).
    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<()> {
        // evcxr gives every cell its own copy of plotters' font registry: register each time.
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| Error::Plot("the bundled font could not be read".into()))?;
        let s = Scale(scale);
        root.fill(&WHITE).map_err(plot_error)?;
        let ((x0, x1), (y0, y1)) = self.bounds();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, s.font(22.0))
            .margin(s.px(14.0))
            .x_label_area_size(s.px(48.0))
            .y_label_area_size(s.px(70.0))
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_error)?;
        self.draw_axes(&mut chart, &s, (x0, x1), (y0, y1))?;
        for series in &self.series {
            self.draw_series(&mut chart, &s, series, (y0, y1))?;
        }
        self.draw_markers(&mut chart, &s, (x0 + x1) / 2.0)?;
        if self.series.len() > 1 || self.series.iter().any(|s| !s.name.is_empty()) {
            chart
                .configure_series_labels()
                .label_font(s.font(14.0))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .position(self.legend.clone())
                .draw()
                .map_err(plot_error)?;
        }
        Ok(())
    }

    /// The grid, axis titles and tick labels: whole epochs on an epoch axis, powers of ten on
    /// a log axis, and elsewhere as many decimals as the tick step needs to tell labels apart.
    fn draw_axes<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        s: &Scale,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
    ) -> Result<()> {
        let log_x = self.log_x;
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
            TICKS
        };
        let (x_decimals, y_decimals) =
            (tick_decimals(x1 - x0, TICKS), tick_decimals(y1 - y0, TICKS));
        let x_label = |x: &f64| {
            if log_x {
                let whole = (x - x.round()).abs() < 1e-9;
                if whole {
                    format_number(10f64.powf(x.round()), 0)
                } else {
                    String::new()
                }
            } else if integer_x {
                if x.fract().abs() > 1e-9 {
                    String::new()
                } else {
                    format!("{x:.0}")
                }
            } else {
                format_number(*x, x_decimals)
            }
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(s.font(14.0))
            .axis_desc_style(s.font(16.0))
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(x_ticks)
            .y_labels(TICKS)
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| format_number(*y, y_decimals))
            .draw()
            .map_err(plot_error)
    }

    fn draw_series<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        s: &Scale,
        series: &Series,
        (y0, y1): (f64, f64),
    ) -> Result<()> {
        // Values beyond the chart (a trace's rare spikes) are drawn at its edge.
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(x, y)| (self.x_of(x), y.clamp(y0, y1)))
            .collect();
        if series.style == Style::Trace {
            // Thousands of noisy values: faint dots, not a line zig-zagging between them.
            let faint = series.color.mix(0.3).filled();
            let radius = s.px(1.2).max(1);
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, radius, faint)))
                .map_err(plot_error)?
                .label(&series.name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, faint));
            return Ok(());
        }
        let line = series.color.to_rgba().stroke_width(s.px(2.0));
        chart
            .draw_series(LineSeries::new(points.iter().copied(), line))
            .map_err(plot_error)?
            .label(&series.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
        if series.style == Style::Line && points.len() <= 60 {
            let dot = series.color.filled();
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, s.px(3.5), dot)))
                .map_err(plot_error)?;
        }
        Ok(())
    }

    fn draw_markers<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        s: &Scale,
        x_middle: f64,
    ) -> Result<()> {
        for m in &self.markers {
            let at = (self.x_of(m.at.0), m.at.1);
            chart
                .draw_series([Circle::new(at, s.px(7.0), m.color.stroke_width(s.px(2.0)))])
                .map_err(plot_error)?;
            // Labels point inwards, so that one at the right edge is not cut off.
            let (h, label) = if at.0 > x_middle {
                (HPos::Right, format!("{}  ", m.label.trim()))
            } else {
                (HPos::Left, format!("  {}", m.label.trim()))
            };
            let style = s.font(13.0).color(&m.color).pos(Pos::new(h, VPos::Bottom));
            chart
                .draw_series([Text::new(label, at, style)])
                .map_err(plot_error)?;
        }
        Ok(())
    }

    pub(super) fn bounds(&self) -> ((f64, f64), (f64, f64)) {
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
}

/// Decimals that tell apart the labels of an axis spanning `span` with at most `ticks` labels:
/// plotters steps by 1, 2 or 5 times a power of ten, at least `span / ticks`.
pub(crate) fn tick_decimals(span: f64, ticks: usize) -> usize {
    let step = span / ticks.max(1) as f64;
    if !step.is_finite() || step <= 0.0 {
        return 0;
    }
    (-step.log10()).ceil().max(0.0) as usize
}

/// A tick label without float noise: `decimals` places (see [`tick_decimals`]), and `1e6` for
/// millions.
pub(crate) fn format_number(v: f64, decimals: usize) -> String {
    if v.abs() >= 1e6 {
        format!("{v:.0e}")
    } else {
        format!("{v:.decimals$}")
    }
}
