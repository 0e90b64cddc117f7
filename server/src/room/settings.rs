//! A room's engine settings: the game's [`RulesConfig`] resolved against the server's policy,
//! checked once (at server start for a probe room, and again for every new room).

use std::time::Duration;

use super::input_queue::QueuePolicy;
use crate::rules::RulesConfig;

/// What the server imposes on every room (from flags), on top of the game's own config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoomPolicy {
    /// Replaces `RulesConfig::tick_rate`.
    pub tick_rate: Option<u32>,
    /// Replaces `RulesConfig::snapshot_rate`.
    pub snapshot_rate: Option<u32>,
    /// Replaces `RulesConfig::max_players`.
    pub max_players: Option<usize>,
    /// How long a dropped player's seat is held (zero: not held).
    pub hold: Duration,
    /// How long a room may stay empty before it is disposed of (zero: never).
    pub idle_dispose: Duration,
    /// How each player's inputs are taken.
    pub inputs: QueuePolicy,
}

impl Default for RoomPolicy {
    fn default() -> Self {
        Self {
            tick_rate: None,
            snapshot_rate: None,
            max_players: None,
            hold: Duration::from_secs(20),
            idle_dispose: Duration::from_secs(30),
            inputs: QueuePolicy::default(),
        }
    }
}

/// Engine settings of a room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomSettings {
    /// Ticks per second.
    pub tick_rate: u32,
    /// Snapshots per second.
    pub snapshot_rate: u32,
    /// Maximum players.
    pub max_players: usize,
    /// How inputs are taken.
    pub inputs: QueuePolicy,
    /// Ticks a joined connection may take to become ready before it is removed.
    pub ready_timeout_ticks: u64,
    /// Ticks a dropped player's seat and entity are held for it to come back (0: not held).
    pub hold_ticks: u64,
    /// Ticks a room may stay empty before it disposes of itself (0: never).
    pub idle_dispose_ticks: u64,
    /// Default player speed.
    pub max_speed: f32,
    /// Default player radius.
    pub player_radius: f32,
}

/// Why a room could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoomError {
    /// The rates or sizes are out of range.
    #[error("invalid room settings: {0}")]
    InvalidSettings(String),
    /// The OS refused to start the tick pool's threads.
    #[error("could not start the tick threads: {0}")]
    Thread(String),
    /// The tick pool is shutting down.
    #[error("the tick pool is shutting down")]
    Closed,
}

impl RoomSettings {
    /// Resolves and checks the settings.
    ///
    /// # Errors
    /// [`RoomError::InvalidSettings`] naming what is out of range.
    pub fn resolve(cfg: &RulesConfig, policy: &RoomPolicy) -> Result<Self, RoomError> {
        let tick_rate = policy.tick_rate.unwrap_or(cfg.tick_rate);
        let snapshot_rate = policy.snapshot_rate.unwrap_or(cfg.snapshot_rate).min(tick_rate);
        if !(1..=1000).contains(&tick_rate) || snapshot_rate == 0 {
            return Err(RoomError::InvalidSettings(format!(
                "tick rate must be 1..=1000 and snapshot rate at least 1 (got {tick_rate} and {snapshot_rate})"
            )));
        }
        let size = cfg.world_size;
        if !(size.is_finite() && size.x >= 1.0 && size.y >= 1.0) {
            return Err(RoomError::InvalidSettings(format!(
                "world size must be finite and at least 1 x 1 (got {size})"
            )));
        }
        if !(cfg.max_speed.is_finite()
            && cfg.max_speed >= 0.0
            && cfg.player_radius.is_finite()
            && cfg.player_radius >= 0.0)
        {
            return Err(RoomError::InvalidSettings(format!(
                "max speed and player radius must be finite and not negative (got {} and {})",
                cfg.max_speed, cfg.player_radius
            )));
        }
        let max_players = policy.max_players.unwrap_or(cfg.max_players);
        if max_players == 0 {
            return Err(RoomError::InvalidSettings("max players must be at least 1".into()));
        }
        if let Some(w) = cfg
            .walls
            .iter()
            .find(|w| !(w.x.is_finite() && w.y.is_finite() && w.w >= 0.0 && w.h >= 0.0))
        {
            return Err(RoomError::InvalidSettings(format!(
                "wall {w:?} is not a finite rectangle"
            )));
        }
        let ticks = |d: Duration| (d.as_secs_f64() * f64::from(tick_rate)).round() as u64;
        Ok(Self {
            tick_rate,
            snapshot_rate,
            max_players,
            inputs: policy.inputs,
            ready_timeout_ticks: u64::from(tick_rate) * 5,
            hold_ticks: ticks(policy.hold),
            idle_dispose_ticks: ticks(policy.idle_dispose),
            max_speed: cfg.max_speed,
            player_radius: cfg.player_radius,
        })
    }

    /// Seconds per tick.
    pub fn dt(&self) -> f32 {
        1.0 / self.tick_rate as f32
    }

    /// True when tick `t` is a snapshot tick: whenever `floor(t * snapshot_rate / tick_rate)`
    /// changes, so snapshots are evenly spread at exactly the snapshot rate.
    pub fn snapshot_due(&self, t: u64) -> bool {
        let (tr, sr) = (u64::from(self.tick_rate), u64::from(self.snapshot_rate));
        t == 0 || (t * sr) / tr != ((t - 1) * sr) / tr
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bad_configs_are_refused_with_the_reason() {
        let ok = RulesConfig::default();
        assert!(RoomSettings::resolve(&ok, &RoomPolicy::default()).is_ok());
        let bad = RulesConfig {
            tick_rate: 0,
            ..ok.clone()
        };
        assert!(
            RoomSettings::resolve(&bad, &RoomPolicy::default())
                .unwrap_err()
                .to_string()
                .contains("tick rate")
        );
        let bad = RulesConfig {
            max_speed: f32::NAN,
            ..ok.clone()
        };
        assert!(RoomSettings::resolve(&bad, &RoomPolicy::default()).is_err());
        let bad = RulesConfig { max_players: 0, ..ok };
        assert!(RoomSettings::resolve(&bad, &RoomPolicy::default()).is_err());
    }

    #[test]
    fn snapshots_are_spread_evenly_at_the_exact_rate() {
        let s = RoomSettings::resolve(
            &RulesConfig {
                tick_rate: 60,
                snapshot_rate: 20,
                ..RulesConfig::default()
            },
            &RoomPolicy::default(),
        )
        .unwrap();
        let due: Vec<u64> = (0..13).filter(|t| s.snapshot_due(*t)).collect();
        assert_eq!(due, vec![0, 3, 6, 9, 12]);
        assert_eq!((1..=600).filter(|t| s.snapshot_due(*t)).count(), 200);
    }
}
