//! Arena's pieces on their own (the game stepped in a room is in `server/tests/arena.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn declaration_is_valid_and_says_what_the_client_is_written_against() {
    let g = build(ArenaConfig::default());
    assert_eq!(g.game.name(), "arena");
    let doc = g.game.schema().doc();
    let kinds: Vec<(u8, &str, Vec<&str>)> = doc
        .kinds
        .iter()
        .map(|k| {
            (
                k.id,
                k.name.as_str(),
                k.fields.iter().map(|f| f.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, "ship", vec!["angle", "hp", "shield"]),
            (2, "bolt", vec!["vel", "owner"]),
            (3, "health", vec![]),
        ]
    );
    let input: Vec<&str> = doc.input.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(input, ["aim", "fire", "rail", "view_tick"]);
    let private: Vec<&str> = doc.private.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(private, ["rail_cooldown", "respawn_in"]);
    assert_eq!(doc.messages.len(), 1);
    assert_eq!(
        (doc.messages[0].name.as_str(), doc.messages[0].max_bytes),
        ("chat", CHAT_MAX_BYTES)
    );
    assert_eq!(doc.events, ["chat", "chat_refused", "kill", "scoreboard", "rail"]);
    assert_eq!(g.handles.ship.id(), 1);
}

#[test]
fn the_standard_map_is_playable() {
    let m = Map::standard();
    assert!(m.is_valid());
    assert!(m.spawns.len() >= MAX_PLAYERS / 2, "enough spawn points to spread out");
    let mut bad = m.clone();
    bad.spawns.push(Vec2::new(800.0, 450.0)); // inside the central cross
    assert!(!bad.is_valid());
}

#[test]
fn rewinds_are_capped_and_wrap_aware() {
    let r = |now, view, max| {
        let w = rewind(now, view, max);
        (w.tick, w.ticks_back, w.clamped)
    };
    assert_eq!(r(1000, 991, 12), (991, 9, false), "150 ms back at 60 Hz");
    assert_eq!(r(1000, 988, 12), (988, 12, false), "exactly the cap");
    assert_eq!(r(1000, 970, 12), (988, 12, true), "past the cap: tested at the cap");
    assert_eq!(r(1000, 1000, 12), (1000, 0, false), "the present");
    assert_eq!(r(1000, 1005, 12), (1000, 0, false), "the future is the present");
    assert_eq!(r(1000, 0, 12), (1000, 0, false), "0: not given");
    assert_eq!(r(5, 2, 12), (2, 3, false));
    assert_eq!(
        r(5, u32::MAX, 12),
        (0, 5, false),
        "before the room began: its first tick"
    );
    assert_eq!(
        r(5, 5 + (1 << 31), 12),
        (5, 0, false),
        "far ahead (wrapped) is the future"
    );
    // Across the u32 wrap of snapshot ticks.
    let now = (1u64 << 32) + 3;
    assert_eq!(r(now, u32::MAX - 1, 12), (now - 5, 5, false));
    assert_eq!(r(1000, 1, 0), (1000, 0, true), "a cap of 0 turns rewinding off");
}

#[test]
fn the_history_covers_the_cap() {
    let l = lagcomp::LagComp::new(Duration::from_millis(200), Duration::from_millis(50), 60);
    assert_eq!(l.max_back(), 12);
    let l = lagcomp::LagComp::new(Duration::from_millis(200), Duration::from_secs(1), 20);
    assert_eq!(l.max_back(), 4, "in ticks of the room's rate");
}
