//! A table of results, printed as Markdown and saved as CSV.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::files::write_file;

/// A table of results: shown as Markdown (`println!("{table}")`), saved as CSV and Markdown.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// One row of cells per line.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as CSV, cells with commas quoted.
    pub fn csv(&self) -> String {
        let quote = |s: &String| {
            if s.contains(',') {
                format!("\"{s}\"")
            } else {
                s.clone()
            }
        };
        let line = |cells: &[String]| cells.iter().map(quote).collect::<Vec<_>>().join(",") + "\n";
        std::iter::once(&self.header)
            .chain(&self.rows)
            .map(|cells| line(cells))
            .collect()
    }

    /// Writes `<stem>.csv` and `<stem>.md` into `dir`.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
        Ok(vec![
            write_file(dir.join(format!("{stem}.csv")), self.csv())?,
            write_file(dir.join(format!("{stem}.md")), self.to_string())?,
        ])
    }
}

impl std::fmt::Display for Table {
    /// Markdown, for slides and notes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "| {} |", self.header.join(" | "))?;
        writeln!(f, "|{}", "---|".repeat(self.header.len()))?;
        for row in &self.rows {
            writeln!(f, "| {} |", row.join(" | "))?;
        }
        Ok(())
    }
}
