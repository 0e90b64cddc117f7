//! CPU time and memory of processes, from Linux `/proc` (no `unsafe`, no libc).
//!
//! CPU is `utime + stime` from `/proc/<pid>/stat`, in clock ticks of `USER_HZ`, which is 100 on
//! every mainstream Linux build. Elsewhere these return `None` and reports say `n/a`.

/// Linux's `USER_HZ` (the unit of `utime`/`stime`).
const USER_HZ: f64 = 100.0;

/// CPU seconds (user + system) of the process whose `stat` file is at `path`.
pub fn process_cpu_seconds(path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_stat_cpu(&text)
}

/// CPU seconds (user + system) used by this process so far.
pub fn self_cpu_seconds() -> Option<f64> {
    process_cpu_seconds("/proc/self/stat")
}

fn parse_stat_cpu(text: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let rest = text.get(text.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// Resident memory of a process in bytes (`VmRSS` of `/proc/<pid>/status`).
pub fn process_rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Measures this process's CPU use between two points.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    cpu: Option<f64>,
    wall: std::time::Instant,
}

impl CpuMeter {
    /// Starts measuring now.
    pub fn start() -> Self {
        Self {
            cpu: self_cpu_seconds(),
            wall: std::time::Instant::now(),
        }
    }

    /// (CPU seconds used, share of one core in percent) since [`CpuMeter::start`].
    pub fn read(&self) -> Option<(f64, f64)> {
        let used = self_cpu_seconds()? - self.cpu?;
        let wall = self.wall.elapsed().as_secs_f64();
        Some((used, if wall > 0.0 { used / wall * 100.0 } else { 0.0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_the_name() {
        let line = "1234 (tick (state) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 9 0 0";
        assert_eq!(parse_stat_cpu(line), Some(3.25));
    }

    #[test]
    fn reads_own_process() {
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(self_cpu_seconds().is_some());
            assert!(process_rss_bytes(std::process::id()).is_some_and(|b| b > 0));
        }
    }
}
