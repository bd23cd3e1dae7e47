//! Peak resident memory, the figure the lecture's "keep 600 graphs alive" costs.

/// The process's peak resident set size in MB (`VmHWM` of `/proc/self/status`); `None` where
/// the system does not report it.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Starts a new peak from the current resident size (Linux ≥ 4.0), so that each benchmarked
/// rule reports its own peak; returns false where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
