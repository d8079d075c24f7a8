//! The process's peak memory, for reports.

/// Peak resident set size (VmHWM) in MiB, from `/proc/self/status`; `None` where that file
/// does not exist (not Linux) or has no such line.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_memory_is_positive_where_available() {
        if let Some(mb) = super::peak_rss_mb() {
            assert!(mb > 0.0);
        }
    }
}
