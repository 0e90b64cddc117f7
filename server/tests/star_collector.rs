//! Star Collector stepped in memory (the test kit's [`RoomDriver`]).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use tickstate_server::game::star_collector::{Scores, star_collector};
use tickstate_server::prelude::Vec2;
use tickstate_server::room::RoomPolicy;
use tickstate_shared::InputMsg;
use tickstate_testkit::RoomDriver;

#[test]
fn declaration_is_valid() {
    let g = star_collector();
    assert_eq!(g.name(), "star_collector");
    let doc = g.schema().doc();
    assert_eq!(
        doc.kinds.iter().map(|k| (k.id, k.name.as_str())).collect::<Vec<_>>(),
        vec![(1, "red_ship"), (2, "blue_ship"), (3, "star")]
    );
    assert!(
        doc.kinds.iter().all(|k| k.fields.is_empty()),
        "7-byte records, as in v1"
    );
    assert_eq!(doc.events, vec!["scores".to_owned()]);
}

fn driver() -> RoomDriver {
    RoomDriver::new(&star_collector(), RoomPolicy::default(), 7).unwrap()
}

fn stars(d: &RoomDriver) -> Vec<Vec2> {
    d.room()
        .world()
        .iter()
        .filter(|(_, e)| e.kind().id() == 3)
        .map(|(_, e)| e.pos)
        .collect()
}

#[test]
fn teams_are_balanced() {
    let mut d = driver();
    let kinds: Vec<u8> = (0..4)
        .map(|i| {
            let (conn, _, _) = d.join(&format!("p{i}")).unwrap();
            d.room()
                .world()
                .get(d.room().entity_of(conn).unwrap())
                .unwrap()
                .kind()
                .id()
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == 1).count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == 2).count(), 2);
}

#[test]
fn a_ship_that_reaches_a_star_scores_and_the_star_moves() {
    let mut d = driver();
    let (conn, link, _) = d.join("Ada").unwrap();
    d.ticks(2);
    assert_eq!(
        link.typed::<Scores>("scores"),
        vec![Scores::default()],
        "a joining player gets the scores"
    );
    let before = stars(&d);
    assert_eq!(before.len(), 6);
    let mut seq = 0;
    let mut scored = false;
    for _ in 0..60 * 30 {
        let me = d.room().world().get(d.room().entity_of(conn).unwrap()).unwrap().pos;
        let target = stars(&d)
            .into_iter()
            .min_by(|a, b| a.distance(me).total_cmp(&b.distance(me)))
            .unwrap();
        let dir = (target - me).normalize_or_zero();
        // Slide around walls: if stuck on one axis the other still moves.
        seq += 1;
        d.input(
            conn,
            InputMsg::new(seq, dir.x, dir.y + if seq % 120 < 60 { 0.0 } else { 0.7 }, 0),
        );
        d.tick();
        if link.events("scores").len() > 1 {
            scored = true;
            break;
        }
    }
    assert!(scored, "the ship should reach a star within 30 s of play");
    let last = *link.typed::<Scores>("scores").last().unwrap();
    assert_eq!(last.red + last.blue, 1);
    let ev = link
        .record()
        .events
        .iter()
        .rev()
        .find(|e| e.name == "scores")
        .cloned()
        .unwrap();
    assert!(ev.tick.is_some(), "game events carry their tick");
    let after = stars(&d);
    assert_eq!(after.len(), 6, "the star reappears, it is not removed");
    assert_ne!(before, after, "the collected star moved");
    d.ticks(2);
    let snap = link.last_snapshot().unwrap();
    assert!(
        !snap.teleports.is_empty(),
        "the star's jump is a teleport, so clients do not glide it"
    );
}
