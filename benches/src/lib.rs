//! Benchmarks and load-test tools for Tickstate (the load-test harness lands with the bench issue).
