//! CPU time and resident memory of this process, read from `/proc` (Linux).

pub use tickstate_shared::stats_doc::ProcessUsage;

/// Reads [`ProcessUsage`] from `/proc/self` (Linux); `None` elsewhere.
pub fn process_usage() -> Option<ProcessUsage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI Tickstate targets.
    let cpu_seconds = (utime + stime) as f64 / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rss_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(ProcessUsage {
        cpu_seconds,
        rss_bytes: rss_kib * 1024,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn process_usage_is_read_on_linux() {
        let p = process_usage().expect("/proc/self should be readable");
        assert!(p.rss_bytes > 1 << 20, "a test process uses more than 1 MiB");
        assert!(p.cpu_seconds >= 0.0);
    }
}
