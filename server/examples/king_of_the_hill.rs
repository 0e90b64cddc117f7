//! A second game on the same engine, to show the rules API: **King of the Hill**.
//!
//! Every player's ship is kind 1; the hill is a static entity of kind 4 in the middle. Each tick a
//! lone player on the hill earns a point (its private `points` field, sent only to that player);
//! every second the leaderboard goes out as the `leaderboard` event. A player who holds the action
//! button while on the hill is kicked for "camping" — silly, but it shows `ctx.kick`.
//!
//! Run it with `cargo run -p tickstate-server --example king_of_the_hill -- 127.0.0.1:3001` and
//! connect any Socket.IO client with the msgpack parser and `auth: { protocol: 2 }`; the SDK decodes
//! its snapshots from the `welcome` schema alone.

use std::collections::HashMap;

use serde::Serialize;
use tickstate_server::prelude::*;
use tickstate_server::{ServerConfig, run};

/// One line of the `leaderboard` event.
#[derive(Debug, Clone, Serialize, TS)]
struct Standing {
    name: String,
    points: u32,
}

/// What the rules use from the declaration.
#[derive(Debug, Clone, Copy)]
struct Handles {
    ship: Kind,
    hill: Kind,
    points: PrivateField<u16>,
    leaderboard: EventType<Vec<Standing>>,
}

fn king_of_the_hill() -> anyhow::Result<Game> {
    let game = Game::new("king_of_the_hill", |s| Handles {
        ship: s.kind(1, "ship").done(),
        hill: s.kind(4, "hill").done(),
        points: s.private().u16("points", u16::MAX),
        leaderboard: s.event::<Vec<Standing>>("leaderboard"),
    })
    .rules(|h, _room| KingOfTheHill {
        h: *h,
        hill: None,
        points: HashMap::new(),
    })?;
    Ok(game)
}

struct KingOfTheHill {
    h: Handles,
    hill: Option<EntityKey>,
    points: HashMap<PlayerId, u32>,
}

impl GameRules for KingOfTheHill {
    fn config(&self) -> RulesConfig {
        RulesConfig {
            max_players: 8,
            world_size: Vec2::new(800.0, 600.0),
            ..RulesConfig::default()
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        self.hill = ctx.world_mut().spawn(self.h.hill, Vec2::new(400.0, 300.0), 60.0).ok();
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        self.points.insert(player, 0);
        let pos = ctx.random_free_spot(20.0, 32).unwrap_or(Vec2::new(40.0, 40.0));
        Some(Spawn::at(self.h.ship, pos))
    }

    fn on_leave(&mut self, _ctx: &mut Ctx<'_>, player: PlayerId, _reason: LeaveReason) {
        self.points.remove(&player);
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        let Some(hill) = self.hill.and_then(|k| ctx.world().get(k).cloned()) else {
            return;
        };
        let on_hill: Vec<PlayerId> = ctx
            .players()
            .filter(|p| {
                p.entity
                    .and_then(|k| ctx.world().get(k))
                    .is_some_and(|e| e.touches(&hill))
            })
            .map(|p| p.id)
            .collect();
        if let [king] = on_hill[..] {
            let points = self.points.entry(king).or_default();
            *points += 1;
            let shown = u16::try_from(*points).unwrap_or(u16::MAX);
            ctx.set_private(king, self.h.points, shown);
        }
        for i in inputs {
            if i.buttons & BUTTON_ACTION != 0 && on_hill.contains(&i.player) {
                ctx.kick(i.player, "no camping on the hill");
            }
        }
        // Once a second whatever the tick rate (`--tick-rate`), not every 60th tick.
        if ctx.every(Duration::from_secs(1)) {
            let board: Vec<Standing> = ctx
                .players()
                .map(|p| Standing {
                    name: p.name.to_owned(),
                    points: self.points.get(&p.id).copied().unwrap_or(0),
                })
                .collect();
            ctx.broadcast(self.h.leaderboard, &board);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    run(listener, ServerConfig::default(), king_of_the_hill()?, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
