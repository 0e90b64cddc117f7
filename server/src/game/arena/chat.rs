//! Chat: a `chat` message (a string) becomes a `chat` event `{ id, text }` to everyone in the
//! room, if it is not empty after trimming, at most [`CHAT_MAX_CHARS`] characters, and within the
//! player's chat rate (a burst of [`CHAT_BURST`], then [`CHAT_RATE`] per second). A refused line
//! is counted and answered with `chat_refused { reason }` to the sender only.

use super::ArenaRules;
use super::counters::Count;
use super::events::{ChatLine, ChatRefusal, ChatRefused};
use super::tuning::{CHAT_BURST, CHAT_MAX_CHARS, CHAT_RATE};
use crate::prelude::*;

/// A chat line as it is passed on: trimmed, control characters replaced by spaces; or why not.
///
/// # Errors
/// [`ChatRefusal::Empty`] or [`ChatRefusal::TooLong`].
pub fn clean(text: &str) -> Result<String, ChatRefusal> {
    let trimmed = text.trim();
    if trimmed.chars().count() > CHAT_MAX_CHARS {
        return Err(ChatRefusal::TooLong);
    }
    let line: String = trimmed.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let line = line.trim();
    if line.is_empty() {
        return Err(ChatRefusal::Empty);
    }
    Ok(line.to_owned())
}

/// One player's chat allowance: a token bucket counted in ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ChatBucket {
    tokens: f32,
    at: u64,
}

impl ChatBucket {
    /// A full bucket on tick `now`.
    pub fn full(now: u64) -> Self {
        Self {
            tokens: CHAT_BURST,
            at: now,
        }
    }

    /// Takes one line's token on tick `now`; false when there is none.
    pub fn take(&mut self, now: u64, tick_rate: u32) -> bool {
        let elapsed = now.saturating_sub(self.at) as f32 / tick_rate.max(1) as f32;
        self.tokens = (self.tokens + elapsed * CHAT_RATE).min(CHAT_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl ArenaRules {
    pub(super) fn on_chat(&mut self, ctx: &mut Ctx<'_>, from: PlayerId, text: &str) {
        let verdict = clean(text).and_then(|line| {
            let (now, rate) = (ctx.tick(), ctx.tick_rate());
            let allowed = self.pilots.get_mut(&from).is_some_and(|p| p.chat.take(now, rate));
            if allowed {
                Ok(line)
            } else {
                Err(ChatRefusal::RateLimited)
            }
        });
        match verdict {
            Ok(text) => {
                self.counters.bump(Count::ChatLines);
                let id = ctx.player(from).map_or(0, |p| p.net_id);
                ctx.broadcast(self.h.chat, &ChatLine { id, text });
            }
            Err(reason) => {
                self.counters.bump(Count::ChatRefused(reason));
                tracing::debug!(player = ?from, reason = reason.as_str(), "arena: chat line refused");
                ctx.send(from, self.h.chat_refused, &ChatRefused { reason });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_bounded_and_cleaned() {
        assert_eq!(clean("  gg  "), Ok("gg".into()));
        assert_eq!(clean(" \t\n "), Err(ChatRefusal::Empty));
        assert_eq!(clean("\u{0}\u{7}"), Err(ChatRefusal::Empty), "only control characters");
        assert_eq!(clean("a\u{0}b"), Ok("a b".into()));
        let max = "é".repeat(CHAT_MAX_CHARS);
        assert_eq!(
            clean(&format!("   {max}   ")),
            Ok(max.clone()),
            "200 characters, not bytes"
        );
        assert_eq!(clean(&format!("{max}x")), Err(ChatRefusal::TooLong));
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut b = ChatBucket::full(0);
        let burst = CHAT_BURST as usize;
        assert!((0..burst).all(|_| b.take(0, 60)));
        assert!(!b.take(0, 60), "the burst is spent");
        let per_line = (60.0 / CHAT_RATE).ceil() as u64;
        assert!(!b.take(per_line - 1, 60));
        assert!(b.take(per_line + 1, 60), "one token back after 1 / rate seconds");
    }
}
