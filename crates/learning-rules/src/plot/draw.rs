//! How a [`Figure`] becomes pixels: axes and their ticks, then the series, the markers and
//! the legend, on any plotters backend (bitmap for PNG, SVG).
//!
//! What a lecturer puts on a slide as it is: every tick labelled with the value it stands at
//! (`0.1` on a log axis, never `0`), thousands grouped (`600,000`), a legend that covers no
//! point or line (in a free corner of the plot, else below it), and points beyond the plotted
//! range drawn as triangles at its edge and counted in the legend.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, Figure, Series, Style, plot_error};
use crate::error::{Error, Result};
use crate::numbers::grouped;

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;
type Point = (f64, f64);

/// A linear axis whose grid lines and labels stand at the ticks we chose, not plotters' own.
#[derive(Clone)]
struct Axis {
    range: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Axis {
    // The labels come from the chart's formatter; the default only fills the type's needs.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

/// Labelled ticks on an axis that is not an epoch axis: at most this many.
const TICKS: usize = 10;
/// The legend's border: also how a test finds the legend in an SVG.
pub(crate) const LEGEND_BORDER: RGBColor = RGBColor(200, 200, 200);

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

/// A tick: where it stands (in the axis's drawing coordinate: log10 of the value on a log
/// axis) and its label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Tick {
    pub(crate) at: f64,
    pub(crate) label: String,
}

/// Ticks every 1, 2 or 5 times a power of ten over `lo..hi`, at most `max` of them (whole
/// numbers only when `whole`), each labelled to the decimals its step needs.
pub(crate) fn linear_ticks(lo: f64, hi: f64, max: usize, whole: bool) -> Vec<Tick> {
    let raw = (hi - lo) / max.max(1) as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return vec![];
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    if whole {
        step = step.max(1.0).round();
    }
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let at = k as f64 * step;
            Tick {
                at,
                label: grouped(at, decimals),
            }
        })
        .collect()
}

/// Ticks of a log axis spanning `lo..hi` (log10 of the values): every power of ten, and 2 and 5
/// times them while that gives fewer than three; each labelled with its value (`0.1`, `1,000`).
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    let in_range = |at: f64| at >= lo - 1e-9 && at <= hi + 1e-9;
    let mut values: Vec<f64> = (lo.ceil() as i32..=hi.floor() as i32)
        .map(|k| 10f64.powi(k))
        .collect();
    if values.len() < 3 {
        values = (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
            .filter(|v| in_range(v.log10()))
            .collect();
    }
    if values.len() < 2 {
        // Less than a factor of 2.5 across: linear steps of the values themselves.
        return linear_ticks(10f64.powf(lo), 10f64.powf(hi), 5, false)
            .into_iter()
            .filter(|t| t.at > 0.0)
            .map(|t| Tick {
                at: t.at.log10(),
                label: t.label,
            })
            .collect();
    }
    values
        .into_iter()
        .map(|v| Tick {
            at: v.log10(),
            label: value_label(v),
        })
        .collect()
}

/// A positive value as a label: whole numbers grouped by thousands, fractions to their first
/// significant digit (`0.1`, `0.05`).
fn value_label(v: f64) -> String {
    if v >= 1.0 {
        grouped(v, 0)
    } else {
        let decimals = (-(v.log10()).floor()).max(0.0) as usize;
        grouped(v, decimals)
    }
}

/// The legend's entries and size.
struct Legend {
    entries: Vec<Entry>,
    width: u32,
    height: u32,
    line: u32,
    pad: u32,
    glyph: u32,
}

enum Glyph {
    Line(RGBColor, u32),
    Dots(RGBColor),
    Clipped(RGBColor),
}

struct Entry {
    glyph: Glyph,
    text: String,
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
        let bounds = self.bounds();
        let ticks = self.ticks(bounds);
        let legend = self.legend_entries(bounds, &s, root)?;
        // Where the legend can go without covering data: found on a throwaway layout of the same
        // size (nothing drawn on `root` yet); below the plot when no corner is free.
        let inside = match &legend {
            None => None,
            Some(legend) => {
                let mut scratch = String::new();
                let area =
                    SVGBackend::with_string(&mut scratch, root.dim_in_pixel()).into_drawing_area();
                let chart = self.build(&area, &s, bounds, &ticks, 0)?;
                self.free_spot(&chart, legend, &s)
            }
        };
        root.fill(&WHITE).map_err(plot_error)?;
        let below = match (&legend, inside) {
            (Some(legend), None) => legend.height + s.px(10.0),
            _ => 0,
        };
        let mut chart = self.build(root, &s, bounds, &ticks, below)?;
        self.draw_axes(&mut chart, &s, &ticks)?;
        for series in &self.series {
            self.draw_series(&mut chart, &s, series, bounds.1)?;
        }
        self.draw_markers(&mut chart, &s)?;
        if let Some(legend) = legend {
            // No free corner: below the chart, under the axis title.
            let at = inside.unwrap_or_else(|| {
                let (xs, _) = chart.plotting_area().get_pixel_range();
                let height = root.dim_in_pixel().1 as i32;
                (xs.start, height - (s.px(14.0) + legend.height) as i32)
            });
            legend.draw(root, &s, at)?;
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

    /// Tick positions and labels of both axes.
    fn ticks(&self, ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64))) -> (Vec<Tick>, Vec<Tick>) {
        let whole_x = !self.log_x
            && self
                .series
                .iter()
                .flat_map(|s| &s.points)
                .all(|p| p.0.fract() == 0.0);
        let x = if self.log_x {
            log_ticks(x0, x1)
        } else {
            // As many ticks as their labels leave room for (about 8 px a character at the
            // label size, 20 px between labels, across the plot's share of the width).
            let plot_width = f64::from(self.size.0) - 110.0;
            let mut most = if whole_x { 12 } else { TICKS };
            loop {
                let ticks = linear_ticks(x0, x1, most, whole_x);
                let widest = ticks.iter().map(|t| t.label.len()).max().unwrap_or(0) as f64;
                if most <= 2 || ticks.len() as f64 * (8.0 * widest + 20.0) <= plot_width {
                    break ticks;
                }
                most -= 1;
            }
        };
        (x, linear_ticks(y0, y1, TICKS, false))
    }

    fn build<'a, DB: DrawingBackend>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        s: &Scale,
        ((x0, x1), (y0, y1)): ((f64, f64), (f64, f64)),
        (x_ticks, y_ticks): &(Vec<Tick>, Vec<Tick>),
        below: u32,
    ) -> Result<Chart<'a, DB>> {
        let axis = |lo: f64, hi: f64, ticks: &[Tick]| Axis {
            range: (lo..hi).into(),
            ticks: ticks.iter().map(|t| t.at).collect(),
        };
        ChartBuilder::on(root)
            .caption(&self.title, s.font(22.0))
            .margin(s.px(14.0))
            .margin_bottom(s.px(14.0) + below)
            .x_label_area_size(s.px(48.0))
            .y_label_area_size(s.px(78.0))
            .build_cartesian_2d(axis(x0, x1, x_ticks), axis(y0, y1, y_ticks))
            .map_err(plot_error)
    }

    /// The grid, the axis titles and the ticks' labels.
    fn draw_axes<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        s: &Scale,
        (x_ticks, y_ticks): &(Vec<Tick>, Vec<Tick>),
    ) -> Result<()> {
        let label = |ticks: &[Tick], v: f64| {
            ticks
                .iter()
                .find(|t| (t.at - v).abs() <= 1e-9 * t.at.abs().max(1.0))
                .map_or_else(String::new, |t| t.label.clone())
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(s.font(14.0))
            .axis_desc_style(s.font(16.0))
            .bold_line_style(RGBColor(228, 228, 228))
            .x_label_formatter(&|x| label(x_ticks, *x))
            .y_label_formatter(&|y| label(y_ticks, *y))
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
        let (inside, clipped): (Vec<Point>, Vec<Point>) = series
            .points
            .iter()
            .map(|&(x, y)| (self.x_of(x), y))
            .partition(|&(_, y)| (y0..=y1).contains(&y));
        // Beyond the plotted range (a trace's rare spikes): a triangle at the edge, pointing out.
        let edge = clipped.iter().map(|&(x, y)| (x, y.clamp(y0, y1), y > y1));
        let size = s.px(4.0) as i32;
        chart
            .draw_series(edge.map(|(x, y, above)| {
                let tip = if above { -size } else { size };
                EmptyElement::at((x, y))
                    + Polygon::new(vec![(-size, -tip), (size, -tip), (0, tip)], series.color)
            }))
            .map_err(plot_error)?;
        if series.style == Style::Trace {
            // Thousands of noisy values: faint dots, not a line zig-zagging between them.
            let faint = series.color.mix(0.3).filled();
            let radius = s.px(1.2).max(1);
            chart
                .draw_series(inside.iter().map(|&p| Circle::new(p, radius, faint)))
                .map_err(plot_error)?;
            return Ok(());
        }
        let line = series.color.to_rgba().stroke_width(s.px(2.0));
        let all: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(x, y)| (self.x_of(x), y.clamp(y0, y1)))
            .collect();
        chart
            .draw_series(LineSeries::new(all.iter().copied(), line))
            .map_err(plot_error)?;
        if series.style == Style::Line && all.len() <= 60 {
            let dot = series.color.filled();
            chart
                .draw_series(inside.iter().map(|&p| Circle::new(p, s.px(3.5), dot)))
                .map_err(plot_error)?;
        }
        Ok(())
    }

    fn draw_markers<DB: DrawingBackend>(&self, chart: &mut Chart<'_, DB>, s: &Scale) -> Result<()> {
        for m in &self.markers {
            let at = (self.x_of(m.at.0), m.at.1);
            chart
                .draw_series([Circle::new(at, s.px(7.0), m.color.stroke_width(s.px(2.0)))])
                .map_err(plot_error)?;
            let (label, pos, _) = self.marker_label(chart, m.label.trim(), at);
            let style = s.font(13.0).color(&m.color).pos(pos);
            chart
                .draw_series([Text::new(label, at, style)])
                .map_err(plot_error)?;
        }
        Ok(())
    }

    /// A marker's label, pointing inwards so that one at the right edge is not cut off.
    fn marker_label<DB: DrawingBackend>(
        &self,
        chart: &Chart<'_, DB>,
        label: &str,
        at: (f64, f64),
    ) -> (String, Pos, bool) {
        let (xs, _) = chart.plotting_area().get_pixel_range();
        let right_half = chart.backend_coord(&at).0 > (xs.start + xs.end) / 2;
        if right_half {
            (
                format!("{label}  "),
                Pos::new(HPos::Right, VPos::Bottom),
                true,
            )
        } else {
            (
                format!("  {label}"),
                Pos::new(HPos::Left, VPos::Bottom),
                false,
            )
        }
    }

    /// The legend's entries (one per named series, one more when points fall outside the
    /// plotted range), measured in `root`'s font; `None` when there is nothing to tell apart.
    fn legend_entries<DB: DrawingBackend>(
        &self,
        ((_, _), (y0, y1)): ((f64, f64), (f64, f64)),
        s: &Scale,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<Option<Legend>> {
        let mut entries: Vec<Entry> = self
            .series
            .iter()
            .filter(|series| !series.name.is_empty())
            .map(|series| Entry {
                glyph: match series.style {
                    Style::Trace => Glyph::Dots(series.color),
                    Style::Line => Glyph::Line(series.color, 2),
                    Style::Curve => Glyph::Line(series.color, 3),
                },
                text: series.name.clone(),
            })
            .collect();
        if entries.len() < 2 && self.series.len() < 2 {
            entries.clear();
        }
        let clipping = self
            .series
            .iter()
            .filter(|series| series.points.iter().any(|p| p.1 > y1 || p.1 < y0))
            .count();
        for series in &self.series {
            let above = series.points.iter().filter(|p| p.1 > y1).count();
            let below = series.points.iter().filter(|p| p.1 < y0).count();
            for (count, side) in [(above, "above"), (below, "below")] {
                if count > 0 {
                    // The series is named only when more than one has points off the chart.
                    let whose = if clipping > 1 {
                        format!("{}: ", series.name)
                    } else {
                        String::new()
                    };
                    entries.push(Entry {
                        glyph: Glyph::Clipped(series.color),
                        text: format!("{whose}{count} {side} the chart, at its edge"),
                    });
                }
            }
        }
        if entries.is_empty() {
            return Ok(None);
        }
        let font = s.font(14.0);
        let mut text_width = 0;
        for entry in &entries {
            let (w, _) = root
                .estimate_text_size(&entry.text, &TextStyle::from(font.clone()))
                .map_err(plot_error)?;
            text_width = text_width.max(w);
        }
        let (line, pad, glyph) = (s.px(20.0), s.px(8.0), s.px(28.0));
        Ok(Some(Legend {
            width: 2 * pad + glyph + text_width,
            height: 2 * pad + line * entries.len() as u32,
            entries,
            line,
            pad,
            glyph,
        }))
    }

    /// The top-left pixel of a place in the plot for `legend` that no series point, line or
    /// marker touches: the corners first, then the middles of the edges.
    fn free_spot<DB: DrawingBackend>(
        &self,
        chart: &Chart<'_, DB>,
        legend: &Legend,
        s: &Scale,
    ) -> Option<(i32, i32)> {
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let (w, h, gap) = (legend.width as i32, legend.height as i32, s.px(10.0) as i32);
        let (left, right) = (xs.start + gap, xs.end - gap - w);
        let (top, bottom) = (ys.start + gap, ys.end - gap - h);
        let (centre_x, centre_y) = ((left + right) / 2, (top + bottom) / 2);
        let candidates = [
            (right, top),
            (left, top),
            (right, bottom),
            (left, bottom),
            (right, centre_y),
            (left, centre_y),
            (centre_x, top),
            (centre_x, bottom),
        ];
        let (y0, y1) = self.bounds().1;
        let margin = s.px(6.0) as i32;
        let mut segments: Vec<((i32, i32), (i32, i32))> = Vec::new();
        let mut dots: Vec<(i32, i32)> = Vec::new();
        for series in &self.series {
            let pixels: Vec<(i32, i32)> = series
                .points
                .iter()
                .map(|&(x, y)| chart.backend_coord(&(self.x_of(x), y.clamp(y0, y1))))
                .collect();
            if series.style == Style::Trace {
                dots.extend(pixels);
            } else {
                dots.extend(pixels.iter().copied());
                segments.extend(pixels.windows(2).map(|pair| (pair[0], pair[1])));
            }
        }
        let mut labels: Vec<(i32, i32, i32, i32)> = Vec::new();
        for m in &self.markers {
            let at = (self.x_of(m.at.0), m.at.1);
            let (px, py) = chart.backend_coord(&at);
            let (label, _, leftwards) = self.marker_label(chart, m.label.trim(), at);
            let (tw, th) = chart
                .plotting_area()
                .estimate_text_size(&label, &TextStyle::from(s.font(13.0)))
                .unwrap_or((0, 0));
            let (tw, th) = (tw as i32, th as i32);
            let x = if leftwards { px - tw } else { px };
            labels.push((x, py - th, x + tw, py));
            let r = s.px(8.0) as i32;
            labels.push((px - r, py - r, px + r, py + r));
        }
        candidates.into_iter().find(|&(x, y)| {
            let rect = (x - margin, y - margin, x + w + margin, y + h + margin);
            !dots.iter().any(|&p| inside(rect, p))
                && !segments.iter().any(|&(a, b)| crosses(rect, a, b))
                && !labels.iter().any(|&other| overlaps(rect, other))
        })
    }
}

impl Legend {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: &Scale,
        (x, y): (i32, i32),
    ) -> Result<()> {
        let (w, h) = (self.width as i32, self.height as i32);
        root.draw(&Rectangle::new(
            [(x, y), (x + w, y + h)],
            WHITE.mix(0.92).filled(),
        ))
        .map_err(plot_error)?;
        root.draw(&Rectangle::new([(x, y), (x + w, y + h)], LEGEND_BORDER))
            .map_err(plot_error)?;
        let font = s.font(14.0);
        for (i, entry) in self.entries.iter().enumerate() {
            let middle = y + (self.pad + self.line * i as u32 + self.line / 2) as i32;
            let start = x + self.pad as i32;
            let end = start + self.glyph as i32 - s.px(6.0) as i32;
            match entry.glyph {
                Glyph::Line(color, width) => root.draw(&PathElement::new(
                    vec![(start, middle), (end, middle)],
                    color.stroke_width(s.px(f64::from(width))),
                )),
                Glyph::Dots(color) => {
                    let dot = color.mix(0.5).filled();
                    for dx in [3, 10, 17] {
                        root.draw(&Circle::new((start + dx, middle), s.px(2.0).max(1), dot))
                            .map_err(plot_error)?;
                    }
                    Ok(())
                }
                Glyph::Clipped(color) => {
                    let r = s.px(5.0) as i32;
                    let cx = (start + end) / 2;
                    root.draw(&Polygon::new(
                        vec![(cx - r, middle + r), (cx + r, middle + r), (cx, middle - r)],
                        color,
                    ))
                }
            }
            .map_err(plot_error)?;
            let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(
                entry.text.clone(),
                (x + (self.pad + self.glyph) as i32, middle),
                style,
            ))
            .map_err(plot_error)?;
        }
        Ok(())
    }
}

fn inside((x0, y0, x1, y1): (i32, i32, i32, i32), (x, y): (i32, i32)) -> bool {
    x >= x0 && x <= x1 && y >= y0 && y <= y1
}

fn overlaps(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3
}

/// Whether the segment from `a` to `b` passes through `rect` (checked every few pixels).
fn crosses(rect: (i32, i32, i32, i32), a: (i32, i32), b: (i32, i32)) -> bool {
    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) / 3).max(1);
    (0..=steps).any(|i| {
        let t = f64::from(i) / f64::from(steps);
        let p = (
            a.0 + (f64::from(b.0 - a.0) * t) as i32,
            a.1 + (f64::from(b.1 - a.1) * t) as i32,
        );
        inside(rect, p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn log_axes_label_each_tick_with_its_value() {
        // 0.1 s to 20 s: the 24d chart that once read "0, 1, 10".
        let ticks = log_ticks(0.1f64.log10(), 20f64.log10());
        assert_eq!(labels(&ticks), ["0.1", "1", "10"]);
        // Fewer than three powers of ten: 2 and 5 times them too.
        let ticks = log_ticks(0.3f64.log10(), 8f64.log10());
        assert_eq!(labels(&ticks), ["0.5", "1", "2", "5"]);
        let wide = log_ticks(0.0, 6.0);
        assert_eq!(
            labels(&wide),
            ["1", "10", "100", "1,000", "10,000", "100,000", "1,000,000"]
        );
        // Less than a factor of 2.5: linear steps, still values.
        let narrow = log_ticks(3f64.log10(), 6f64.log10());
        assert!(narrow.len() >= 2, "{narrow:?}");
        assert!(narrow.iter().all(|t| t.label != "0"), "{narrow:?}");
    }

    #[test]
    fn linear_axes_step_by_one_two_or_five_and_group_thousands() {
        assert_eq!(
            labels(&linear_ticks(0.0, 600_000.0, 10, false)),
            [
                "0", "100,000", "200,000", "300,000", "400,000", "500,000", "600,000"
            ]
        );
        assert_eq!(
            labels(&linear_ticks(0.21, 0.58, 10, false)),
            ["0.25", "0.30", "0.35", "0.40", "0.45", "0.50", "0.55"]
        );
        assert_eq!(labels(&linear_ticks(0.7, 3.3, 12, true)), ["1", "2", "3"]);
    }
}
