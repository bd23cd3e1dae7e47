//! Line charts for notebooks and slides: shown inline by evcxr, saved as PNG or SVG.
//!
//! A [`Figure`] keeps its data, not pixels, so the same chart renders at notebook size, at
//! slide resolution, or as SVG. Text uses the DejaVu Sans font bundled in the crate, registered
//! at every render: evcxr gives each cell its own copy of statics, so nothing registered in an
//! earlier cell can be relied on.

use std::path::{Path, PathBuf};

mod charts;
mod draw;

use base64::Engine as _;
use plotters::prelude::*;

pub(crate) use self::charts::training_loss_so_far;
pub use self::charts::{accuracy_per_epoch, loss_per_epoch, moving_average, update_losses};
use crate::error::{Error, Result};
use crate::files::write_file;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
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
                return Err(Error::UnknownFormat { path: path.into() });
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
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}
