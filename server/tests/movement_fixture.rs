//! Golden movement steps shared with the browser client's tests, so client-side prediction and the
//! server's movement cannot drift: `shared/tests/fixtures/movement_v1.json` holds a world, a list of
//! (position, direction) cases and the exact f32 results of `sim::movement::step`. The TypeScript
//! test (`client-phaser/tests/unit/movement.test.ts`) replays every case and must land on the same
//! bits. Rewrite with `TICKSTATE_BLESS=1` when the step changes on purpose.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use glam::Vec2;
use rand::{Rng, SeedableRng};
use tickstate_server::game::star_collector::walls as star_collector_walls;
use tickstate_server::sim::MoveParams;
use tickstate_server::sim::movement::{step, validate_direction};

#[test]
fn movement_fixture_matches_the_step() {
    let size = Vec2::new(1600.0, 900.0);
    let walls = star_collector_walls();
    let params = MoveParams {
        max_speed: 260.0,
        radius: 18.0,
        dt: 1.0 / 60.0,
    };
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    let mut cases = Vec::new();
    // Random walks that bump into walls and edges, plus hand-picked contacts.
    let mut pos = Vec2::new(300.0, 300.0);
    for i in 0..400 {
        let (dx, dy) = match i % 5 {
            0 => (1.0, 0.0),
            1 => (rng.random_range(-1.0f32..1.0), rng.random_range(-1.0f32..1.0)),
            2 => (0.0, -1.0),
            3 => (-0.7, 0.7),
            _ => (rng.random_range(-1.0f32..1.0), 1.0),
        };
        let dir = validate_direction(dx, dy).unwrap();
        let next = step(pos, dir, &params, size, &walls);
        cases.push(serde_json::json!({ "from": [pos.x, pos.y], "dir": [dx, dy], "to": [next.x, next.y] }));
        pos = if i % 37 == 0 {
            Vec2::new(rng.random_range(20.0..1580.0), rng.random_range(20.0..880.0))
        } else {
            next
        };
    }
    // Every wall from each side, straight and diagonally, from 2 units and from contact (f32
    // rounding included), and every world edge and corner.
    let r = params.radius;
    let mut contact = Vec::new();
    for w in &walls {
        let (cx, cy) = (w.x + w.w / 2.0, w.y + w.h / 2.0);
        for gap in [2.0f32, 0.0] {
            contact.push((Vec2::new(w.x - r - gap, cy), (1.0, 0.0)));
            contact.push((Vec2::new(w.x - r - gap, cy), (0.7, 0.7)));
            contact.push((Vec2::new(w.x + w.w + r + gap, cy), (-1.0, 0.0)));
            contact.push((Vec2::new(w.x + w.w + r + gap, cy), (-0.7, -0.7)));
            contact.push((Vec2::new(cx, w.y - r - gap), (0.0, 1.0)));
            contact.push((Vec2::new(cx, w.y - r - gap), (-0.7, 0.7)));
            contact.push((Vec2::new(cx, w.y + w.h + r + gap), (0.0, -1.0)));
            contact.push((Vec2::new(cx, w.y + w.h + r + gap), (0.7, -0.7)));
            // Corners, diagonally.
            contact.push((Vec2::new(w.x - r - gap, w.y - r - gap), (0.7, 0.7)));
            contact.push((Vec2::new(w.x + w.w + r + gap, w.y + w.h + r + gap), (-0.7, -0.7)));
        }
    }
    for (x, y) in [
        (r, r),
        (size.x - r, r),
        (r, size.y - r),
        (size.x - r, size.y - r),
        (r + 1.0, 450.0),
        (800.0, size.y - r - 1.0),
    ] {
        for (dx, dy) in [
            (1.0, 0.0),
            (-1.0, 0.0),
            (0.0, 1.0),
            (0.0, -1.0),
            (0.7, 0.7),
            (-0.7, -0.7),
        ] {
            contact.push((Vec2::new(x, y), (dx, dy)));
        }
    }
    let mut blocked = 0;
    for (from, (dx, dy)) in contact {
        let dir = validate_direction(dx, dy).unwrap();
        let to = step(from, dir, &params, size, &walls);
        if (to - from).length() < params.max_step() - 1e-3 {
            blocked += 1;
        }
        cases.push(serde_json::json!({ "from": [from.x, from.y], "dir": [dx, dy], "to": [to.x, to.y] }));
    }
    assert!(
        blocked > 100,
        "the contact cases should mostly be stopped or shortened ({blocked})"
    );
    let json = serde_json::json!({
        "world": {
            "width": size.x, "height": size.y,
            "walls": walls.iter().map(|w| [w.x, w.y, w.w, w.h]).collect::<Vec<_>>(),
        },
        "movement": { "max_speed": params.max_speed, "radius": params.radius, "dt": params.dt },
        "cases": cases,
    });
    let text = serde_json::to_string(&json).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/fixtures/movement_v1.json");
    if std::env::var_os("TICKSTATE_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).expect("movement_v1.json should exist (TICKSTATE_BLESS=1 writes it)");
    assert_eq!(
        golden, text,
        "movement_v1.json should match what the movement step computes today"
    );
}
