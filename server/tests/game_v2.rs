//! Game-defined state end to end (protocol v2), with a shooter written only in a test file
//! (`common/skirmish.rs`) against the public prelude: fields, actions in the input stream, private
//! fields, velocity entities, death and respawn, freeze, chat, join options, authentication, and
//! the bad-input catalogue for all of them.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::f32::consts::TAU;
use std::sync::Arc;
use std::time::Duration;

use common::skirmish::{self, AMMO, BULLET_SPEED, ChatLine, Kill, RESPAWN_AT};
use rmpv::Value;
use tickstate_server::ServerConfig;
use tickstate_server::auth::jwt::HmacJwt;
use tickstate_server::config::AuthConfig;
use tickstate_shared::schema::FieldValue;
use tickstate_shared::{ConnectAuth, EntityRecord, InputMsg, Quantizer, Refusal, Snapshot};
use tickstate_testkit::client::{Client, ClientError, Event, from_value};
use tickstate_testkit::{TestServer, raw_input, snapshots_in, wait_stats};

const WAIT: Duration = Duration::from_secs(5);
const SHIP: u8 = 1;
const BULLET: u8 = 5;

async fn server() -> TestServer {
    TestServer::start_with_game(
        ServerConfig {
            seed: Some(9),
            ..ServerConfig::default()
        },
        skirmish::skirmish(),
    )
    .await
}

/// Input `[seq, dx, dy, 0, aim, fire, weapon]`.
fn action(seq: u32, aim: f32, fire: bool, weapon: u32) -> InputMsg {
    InputMsg::new(seq, 0.0, 0.0, 0).with_values(&[
        FieldValue::Angle(aim),
        FieldValue::Flag(fire),
        FieldValue::Uint(weapon),
    ])
}

/// Waits for a snapshot that satisfies `pick`.
async fn snapshot_where(c: &mut Client, what: &'static str, pick: impl Fn(&Snapshot) -> bool) -> Snapshot {
    c.wait_for(WAIT, what, |e| match e {
        Event::Snapshot { snapshot, .. } if pick(snapshot) => Some(snapshot.clone()),
        _ => None,
    })
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Waits for a game event called `name`; returns its data and tick.
async fn event(c: &mut Client, name: &'static str) -> (Value, Option<u32>) {
    c.wait_for(WAIT, name, |e| match e {
        Event::Message { event, data, tick } if event == name => Some((data.clone(), *tick)),
        _ => None,
    })
    .await
    .unwrap_or_else(|e| panic!("event {name}: {e}"))
}

fn ship_fields(r: &EntityRecord) -> (f32, u32, bool, [f32; 2]) {
    match r.fields[..] {
        [
            FieldValue::Angle(a),
            FieldValue::Uint(hp),
            FieldValue::Flag(shield),
            FieldValue::Velocity(v),
        ] => (a, hp, shield, v),
        _ => panic!("a ship record has angle, hp, shield, vel: {r:?}"),
    }
}

fn angle_diff(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(TAU);
    d.min(TAU - d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_actions_private_state_projectiles_and_chat_reach_clients() {
    let server = server().await;
    let mut a = server.connect("Ada").await;
    let mut b = server.connect("Bo").await;
    // The welcome describes the game: a client needs nothing else to decode it.
    let w = &a.welcome;
    assert_eq!((w.protocol, w.game.as_str()), (2, "skirmish"));
    let ship = w.schema.kind(SHIP).expect("ship kind");
    let names: Vec<&str> = ship.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["angle", "hp", "shield", "vel"]);
    assert!(w.schema.kind(BULLET).is_some());
    let input: Vec<&str> = w.schema.input.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(input, ["aim", "fire", "weapon"]);
    assert_eq!(w.schema.messages[0].name, "chat");
    assert_eq!(w.schema.events, ["chat", "kill"]);
    let (aid, bid) = (a.welcome.id, b.welcome.id);
    let q = Quantizer::new(w.world.width, w.world.height);

    // Aim at 1.25 rad with the shield up (weapon 2), and fire once.
    let aim = 1.25_f32;
    a.sender.input(action(1, aim, false, 2)).await.unwrap();
    a.sender.input(action(2, aim, true, 2)).await.unwrap();
    let s = snapshot_where(&mut a, "Ada's shot in a snapshot", |s| {
        s.ack >= 2 && s.entities.iter().any(|e| e.head.kind == BULLET)
    })
    .await;
    let me = s.entity(aid).unwrap();
    let (angle, hp, shield, _) = ship_fields(me);
    assert!(
        angle_diff(angle, aim) <= TAU / 256.0 / 2.0 + 1e-4,
        "angle {angle} for aim {aim}"
    );
    assert_eq!((hp, shield), (100, true));
    // Private: Ada's ammo went down by one; the cooldown is running.
    match s.private[..] {
        [FieldValue::Uint(ammo), FieldValue::Fixed(cd)] => {
            assert_eq!(ammo, u32::from(AMMO) - 1);
            assert!(cd > 0.0 && cd <= 0.1 + 0.01, "cooldown {cd}");
        }
        ref other => panic!("private fields: {other:?}"),
    }
    // The bullet flies with the velocity the rules gave it, and the engine moves it.
    let bullet = s.entities.iter().find(|e| e.head.kind == BULLET).unwrap();
    let [FieldValue::Velocity([vx, vy])] = bullet.fields[..] else {
        panic!("bullet fields: {:?}", bullet.fields)
    };
    let step = 1200.0 / 2047.0;
    assert!((vx - BULLET_SPEED * aim.cos()).abs() <= step && (vy - BULLET_SPEED * aim.sin()).abs() <= step);
    let (bx0, by0) = q.dequantize(bullet.head.x, bullet.head.y);
    let bullet_id = bullet.head.id;
    let later = snapshot_where(&mut a, "the bullet later", |t| {
        t.tick > s.tick && t.entity(bullet_id).is_some()
    })
    .await;
    let moved = later.entity(bullet_id).unwrap();
    let (bx1, by1) = q.dequantize(moved.head.x, moved.head.y);
    let dt = (later.tick - s.tick) as f32 / a.welcome.tick_rate as f32;
    assert!(
        (bx1 - bx0 - vx * dt).abs() < 1.0 && (by1 - by0 - vy * dt).abs() < 1.0,
        "the bullet moved ({}, {}) in {dt} s with velocity ({vx}, {vy})",
        bx1 - bx0,
        by1 - by0
    );

    // Bo sees Ada's shield, and its own full ammo: private fields are per player.
    let sb = snapshot_where(&mut b, "Bo sees the shield", |s| {
        s.entity(aid).is_some_and(|e| ship_fields(e).2)
    })
    .await;
    assert!(matches!(sb.private[..], [FieldValue::Uint(n), _] if n == u32::from(AMMO)));

    // Chat reaches the other player with the tick it belongs to.
    a.sender
        .message("chat", &skirmish::Chat { text: "gg".into() })
        .await
        .unwrap();
    let (data, tick) = event(&mut b, "chat").await;
    let line: ChatLine = from_value(&data).unwrap();
    assert_eq!(
        line,
        ChatLine {
            from: aid,
            text: "gg".into()
        }
    );
    assert!(tick.is_some_and(|t| t >= s.tick));

    // Weapon 3 freezes Ada's ship: the snapshot says its speed is now 0.
    a.sender.input(action(3, aim, false, 3)).await.unwrap();
    let frozen = snapshot_where(&mut a, "frozen", |s| s.movement.is_some()).await;
    assert_eq!(frozen.movement.unwrap()[0], 0.0);
    a.sender.input(action(4, aim, false, 0)).await.unwrap();
    snapshot_where(&mut a, "unfrozen", |s| s.ack >= 4 && s.movement.is_none()).await;

    // Every action and message is accounted for.
    let st = wait_stats(&server, "inputs and messages drained", |s| {
        s["inputs"]["in_flight"] == 0 && s["messages"]["in_flight"] == 0 && s["messages"]["applied"] == 1
    })
    .await;
    for k in ["inputs", "messages"] {
        let c = &st[k];
        assert_eq!(
            c["received"].as_u64().unwrap(),
            c["applied"].as_u64().unwrap() + c["rejected"].as_u64().unwrap() + c["dropped"].as_u64().unwrap(),
            "{k}: {c:#}"
        );
    }
    let _ = bid;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ship_dies_respawns_with_its_id_and_the_snapshot_says_it_teleported() {
    let server = server().await;
    let mut a = server.connect("Ada").await; // at (200, 450)
    let mut b = server.connect("Bo").await; // at (600, 450), straight to Ada's right
    let (aid, bid) = (a.welcome.id, b.welcome.id);
    // Four hits of 25 kill Bo. One shot per 0.1 s cooldown; send an input per tick for 1 s.
    let mut seq = 0;
    for _ in 0..60 {
        seq += 1;
        a.sender.input(action(seq, 0.0, true, 0)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(16)).await;
    }
    let (data, tick) = event(&mut b, "kill").await;
    let kill: Kill = from_value(&data).unwrap();
    assert_eq!(kill, Kill { victim: bid, by: aid });
    let died_at = tick.unwrap();
    // Bo's entity leaves the snapshots, then comes back with the same id at the respawn point,
    // listed as teleported.
    snapshot_where(&mut a, "Bo gone", |s| s.tick >= died_at && s.entity(bid).is_none()).await;
    let back = snapshot_where(&mut a, "Bo back", |s| s.tick > died_at && s.entity(bid).is_some()).await;
    let q = Quantizer::new(a.welcome.world.width, a.welcome.world.height);
    let r = back.entity(bid).unwrap();
    let (x, y) = q.dequantize(r.head.x, r.head.y);
    assert!(
        (x - RESPAWN_AT.x).abs() < 0.1 && (y - RESPAWN_AT.y).abs() < 0.1,
        "({x}, {y})"
    );
    assert_eq!(ship_fields(r).1, 100, "full health after the respawn");
    assert!(
        back.teleports.iter().any(|&(id, t)| id == bid && t > died_at),
        "the respawn is a teleport: {:?}",
        back.teleports
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_actions_and_messages_are_counted_by_reason_and_hurt_no_one() {
    let server = server().await;
    let mut healthy = server.connect("healthy").await;
    let bad = server.connect("bad").await;
    let s = &bad.sender;
    // Bad actions: each rejects its whole input, by reason.
    s.emit("input", raw_input(1, vec!["left".into()])).await.unwrap(); // aim: wrong type
    s.emit("input", raw_input(2, vec![Value::F64(f64::NAN)])).await.unwrap(); // aim: NaN
    s.emit("input", raw_input(3, vec![0.5.into(), "yes".into()]))
        .await
        .unwrap(); // fire: wrong type
    s.emit("input", raw_input(4, vec![0.5.into(), true.into(), 7.into()]))
        .await
        .unwrap(); // weapon > 3
    s.emit("input", raw_input(5, vec![0.5.into(), true.into(), (-1).into()]))
        .await
        .unwrap(); // weapon < 0
    s.emit("input", raw_input(6, vec![Value::F64(f64::INFINITY)]))
        .await
        .unwrap(); // aim: Inf
    // A good one with a missing trailing field (defaults) and one with nil fields.
    s.emit("input", raw_input(7, vec![0.5.into()])).await.unwrap();
    s.emit("input", raw_input(8, vec![Value::Nil, Value::Nil, Value::Nil]))
        .await
        .unwrap();
    // Bad messages.
    s.emit("chat", Value::Map(vec![("text".into(), 5.into())]))
        .await
        .unwrap(); // bad payload
    s.emit("chat", Value::from("just a string")).await.unwrap(); // bad payload
    s.emit("chat", Value::Map(vec![("text".into(), "x".repeat(200).into())]))
        .await
        .unwrap(); // too large
    let mut deep = Value::from(1);
    for _ in 0..20 {
        deep = Value::Array(vec![deep]);
    }
    s.emit("chat", Value::Map(vec![("text".into(), deep)])).await.unwrap(); // too deep
    s.emit("buy", Value::from("sword")).await.unwrap(); // unknown message
    let st = wait_stats(&server, "every bad action and message counted", |s| {
        s["inputs"]["in_flight"] == 0 && s["inputs"]["applied"].as_u64() >= Some(2) && s["messages"]["received"] == 5
    })
    .await;
    let r = &st["inputs"]["rejected_by_reason"];
    assert_eq!(
        (
            r["wrong_type"].as_u64(),
            r["non_finite"].as_u64(),
            r["out_of_range"].as_u64()
        ),
        (Some(2), Some(2), Some(2)),
        "{st:#}"
    );
    let m = &st["messages"]["rejected_by_reason"];
    assert_eq!(
        (
            m["bad_payload"].as_u64(),
            m["too_large"].as_u64(),
            m["unknown"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{st:#}"
    );
    for k in ["inputs", "messages"] {
        let c = &st[k];
        assert_eq!(
            c["received"].as_u64().unwrap(),
            c["applied"].as_u64().unwrap() + c["rejected"].as_u64().unwrap() + c["dropped"].as_u64().unwrap(),
            "{k}: {c:#}"
        );
    }
    // The bad client is still connected (a handful of mistakes is not abuse), the server is alive,
    // and the healthy player gets the full snapshot rate.
    let n = snapshots_in(&mut healthy, Duration::from_secs(1)).await;
    assert!(
        n >= 20,
        "the healthy client should keep ~30 snapshots/s, got {n} in 1 s"
    );
    assert_eq!(server.stats().await["players"], 2);
    server.assert_live().await;
    server.stop().await.unwrap();
}

fn refusal(r: Result<Client, ClientError>) -> (Refusal, Option<String>) {
    let e = r.err().expect("the connection should be refused");
    let j = e.refusal().unwrap_or_else(|| panic!("a typed refusal, got {e}"));
    (j.reason, j.detail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_versions_bad_options_and_bad_credentials_get_typed_refusals() {
    let server = server().await;
    // Protocol: none, or 1, is refused with both versions named.
    for stated in [None, Some(1)] {
        let auth = ConnectAuth {
            protocol: stated,
            ..ConnectAuth::default()
        };
        let (reason, detail) = refusal(Client::connect_exact(&server.base, &auth).await);
        assert_eq!(reason, Refusal::ProtocolMismatch);
        let detail = detail.unwrap();
        assert!(detail.contains('2'), "names the server's version: {detail}");
        if stated == Some(1) {
            assert!(detail.contains('1'), "names the client's version: {detail}");
        }
    }
    // Options: too large, too deep, or refused by the game.
    let with_options = |o: Value| ConnectAuth {
        options: Some(o),
        ..ConnectAuth::named("o")
    };
    let big = Value::Map(vec![("team".into(), "r".repeat(2000).into())]);
    assert_eq!(
        refusal(Client::connect(&server.base, &with_options(big)).await).0,
        Refusal::InvalidOptions
    );
    let mut deep = Value::Map(vec![]);
    for _ in 0..12 {
        deep = Value::Map(vec![("a".into(), deep)]);
    }
    assert_eq!(
        refusal(Client::connect(&server.base, &with_options(deep)).await).0,
        Refusal::InvalidOptions
    );
    let green = Value::Map(vec![("team".into(), "green".into())]);
    let (reason, detail) = refusal(Client::connect(&server.base, &with_options(green)).await);
    assert_eq!(reason, Refusal::InvalidOptions);
    assert!(detail.unwrap().contains("green"));
    let not_a_map = Value::from(3);
    assert_eq!(
        refusal(Client::connect(&server.base, &with_options(not_a_map)).await).0,
        Refusal::InvalidOptions
    );
    // A good option joins.
    let red = Value::Map(vec![("team".into(), "red".into())]);
    Client::connect(&server.base, &with_options(red)).await.unwrap();
    // Refused joins leave nothing behind: the admitted player is the only one (the gauge follows
    // the room's join, which a busy machine may run a moment after the welcome went out).
    wait_stats(&server, "exactly the one admitted player", |s| s["players"] == 1).await;
    server.assert_live().await;
    server.stop().await.unwrap();
}

const SECRET: &[u8] = b"a test secret that is 32 bytes long";

fn jwt(claims: serde_json::Value, secret: &[u8]) -> String {
    use jsonwebtoken::{EncodingKey, Header, encode};
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_server_refuses_missing_forged_and_expired_credentials() {
    let auth = AuthConfig(Some(Arc::new(HmacJwt::hs256(SECRET).unwrap())));
    let server = TestServer::start_with_game(
        ServerConfig {
            auth,
            ..ServerConfig::default()
        },
        skirmish::skirmish(),
    )
    .await;
    let now = jsonwebtoken::get_current_timestamp();
    let with = |c: Option<String>| ConnectAuth {
        credential: c,
        ..ConnectAuth::named("j")
    };
    let cases = [
        (None, "missing"),
        (
            Some(jwt(
                serde_json::json!({ "sub": "u1", "exp": now + 600 }),
                b"another secret, also 32 bytes long",
            )),
            "forged",
        ),
        (
            Some(jwt(serde_json::json!({ "sub": "u1", "exp": now - 3600 }), SECRET)),
            "expired",
        ),
        (Some("not a jwt".into()), "malformed"),
    ];
    for (cred, what) in cases {
        let (reason, _) = refusal(Client::connect(&server.base, &with(cred)).await);
        assert_eq!(reason, Refusal::Unauthorized, "{what}");
    }
    let good = jwt(serde_json::json!({ "sub": "u1", "exp": now + 600 }), SECRET);
    let c = Client::connect(&server.base, &with(Some(good))).await.unwrap();
    assert_eq!(c.welcome.game, "skirmish");
    let st = server.stats().await;
    assert_eq!(st["players"], 1, "refused connections leave nothing behind");
    assert_eq!(tickstate_testkit::get(&format!("{}/healthz", server.base)).await.0, 200);
    server.stop().await.unwrap();
}
