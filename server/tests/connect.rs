//! Connecting: the welcome, and clear refusals that create nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use tickstate_shared::ConnectAuth;
use tickstate_testkit::client::{Client, ClientError};
use tickstate_testkit::{TestServer, wait_stats};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_has_every_field_a_client_needs() {
    let server = TestServer::start().await;
    let c = Client::connect(
        &server.base,
        &ConnectAuth {
            name: Some("  Ada\u{0}  ".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let w = &c.welcome;
    assert_eq!(w.protocol, 2);
    assert_eq!(w.game, "star_collector");
    let kinds: Vec<(u8, &str)> = w.schema.kinds.iter().map(|k| (k.id, k.name.as_str())).collect();
    assert_eq!(kinds, [(1, "red_ship"), (2, "blue_ship"), (3, "star")]);
    assert_eq!(w.schema.events, ["scores"]);
    assert_eq!(w.room, "main");
    assert_eq!((w.tick_rate, w.snapshot_rate), (60, 30));
    assert_eq!((w.world.width, w.world.height), (1600.0, 900.0));
    assert!(!w.world.walls.is_empty());
    assert!(w.movement.max_speed > 0.0 && w.movement.radius > 0.0);
    assert!((w.movement.dt - 1.0 / 60.0).abs() < 1e-6);
    assert_eq!(w.token.len(), 32);
    assert!(w.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        w.players.iter().find(|p| p.id == w.id).map(|p| p.name.as_str()),
        Some("Ada"),
        "the name should be cleaned"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_separate_worlds() {
    let server = TestServer::start().await;
    let mut a = Client::connect(
        &server.base,
        &ConnectAuth {
            room: Some("a".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let b = Client::connect(
        &server.base,
        &ConnectAuth {
            room: Some("b".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((a.welcome.room.as_str(), b.welcome.room.as_str()), ("a", "b"));
    let s = a.next_snapshot(std::time::Duration::from_secs(2)).await.unwrap();
    let ships = s.entities.iter().filter(|e| e.head.kind != 3).count();
    assert_eq!(ships, 1, "room a should only hold its own ship");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_auth_is_refused_with_a_clear_reason_and_creates_nothing() {
    let server = TestServer::start().await;
    let cases = [
        (
            ConnectAuth {
                room: Some("no spaces".into()),
                ..Default::default()
            },
            "invalid_room",
        ),
        (
            ConnectAuth {
                room: Some("x".repeat(33)),
                ..Default::default()
            },
            "invalid_room",
        ),
        (
            ConnectAuth {
                token: Some("t".repeat(500)),
                ..Default::default()
            },
            "invalid_auth",
        ),
    ];
    for (auth, want) in cases {
        match Client::connect(&server.base, &auth).await {
            Err(ClientError::Refused(m)) => assert_eq!(m, want),
            Err(e) => panic!("expected refusal {want}, got {e}"),
            Ok(_) => panic!("expected refusal {want}, got a connection"),
        }
    }
    let s = server.stats().await;
    assert_eq!(s["players"], 0);
    assert_eq!(
        s["rooms"].as_array().unwrap().len(),
        0,
        "refused joins should not create rooms"
    );
    assert_eq!(s["joins_refused"], 3);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_of_the_wrong_type_is_refused() {
    let server = TestServer::start().await;
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        server.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let _open = ws.next().await;
    // CONNECT with auth = { name: 42 }: {type:0, nsp:"/", data:{name:42}}
    let pkt = rmpv::Value::Map(vec![
        ("type".into(), 0.into()),
        ("nsp".into(), "/".into()),
        ("data".into(), rmpv::Value::Map(vec![("name".into(), 42.into())])),
    ]);
    let mut buf = Vec::new();
    rmpv::encode::write_value(&mut buf, &pkt).unwrap();
    ws.send(Message::Binary(buf.into())).await.unwrap();
    let reply = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(b) => break rmpv::decode::read_value(&mut &b[..]).unwrap(),
            _ => continue,
        }
    };
    let map = reply.as_map().unwrap();
    let get = |k: &str| {
        map.iter()
            .find(|(kk, _)| kk.as_str() == Some(k))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        get("type").and_then(|v| v.as_u64()),
        Some(4),
        "should be CONNECT_ERROR: {reply}"
    );
    assert!(get("data").unwrap().to_string().contains("invalid_auth"));
    wait_stats(&server, "no players", |s| s["players"] == 0).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_and_seats_are_bounded() {
    let config = tickstate_server::ServerConfig {
        max_rooms: 2,
        max_players: Some(1),
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    let room = |r: &str| ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let _a = Client::connect(&server.base, &room("a")).await.unwrap();
    let _b = Client::connect(&server.base, &room("b")).await.unwrap();
    match Client::connect(&server.base, &room("c")).await {
        Err(ClientError::Refused(m)) => assert_eq!(m, "too_many_rooms"),
        other => panic!(
            "a third room should be refused, got {:?}",
            other.map(|c| c.welcome.room)
        ),
    }
    match Client::connect(&server.base, &room("a")).await {
        Err(ClientError::Refused(m)) => assert_eq!(m, "room_full", "--max-players 1 overrides the game's 16"),
        other => panic!(
            "a second player in a should be refused, got {:?}",
            other.map(|c| c.welcome.room)
        ),
    }
    server.stop().await.unwrap();
}
