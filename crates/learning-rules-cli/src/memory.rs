//! Peak resident memory, the figure the lecture's "keep 600 graphs alive" costs.

/// The process's peak resident set size in MB (`VmHWM` of `/proc/self/status`); `None` where
/// the system does not report it.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
