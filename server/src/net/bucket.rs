//! A token bucket, with time passed in (so it is tested without sleeping).

use std::time::Instant;

/// `rate` tokens per second, at most `burst` saved up. A rate of 0 means unlimited.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst: burst.max(1.0),
            tokens: burst.max(1.0),
            last: now,
        }
    }

    /// Takes one token; `false` when the bucket is empty.
    pub fn take(&mut self, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 5.0, t0);
        assert_eq!((0..20).filter(|_| b.take(t0)).count(), 5, "a burst of 5");
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(100)), "one token after 0.1 s at 10/s");
        assert!(!b.take(t0 + Duration::from_millis(100)));
        // Over one second, 10 more.
        let n = (1..=100)
            .filter(|i| b.take(t0 + Duration::from_millis(100 + i * 10)))
            .count();
        assert!((9..=10).contains(&n), "about 10 tokens in a second, got {n}");
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0.0, 0.0, t0);
        assert!((0..1000).all(|_| b.take(t0)));
    }
}
