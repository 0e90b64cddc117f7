//! A second game on the same engine, to show the rules API: **King of the Hill**.
//!
//! Every player's ship is kind 1; the hill is a static entity of kind 4 in the middle. Each tick a
//! lone player on the hill earns a point; every second the leaderboard goes out as `leaderboard`.
//! A player who holds the action button while on the hill is kicked for "camping" — silly, but it
//! shows `ctx.kick`.
//!
//! Run it with `cargo run -p tickstate-server --example king_of_the_hill -- 127.0.0.1:3001` and
//! connect any Socket.IO client with the msgpack parser (the Phaser demo client draws kind 4 as
//! unknown, the protocol is the same).

use std::collections::HashMap;
use std::sync::Arc;

use glam::Vec2;
use tickstate_server::rules::{Ctx, GameRules, LeaveReason, PlayerId, PlayerInput, RulesConfig, Spawn};
use tickstate_server::sim::EntityKey;
use tickstate_server::{ServerConfig, run};
use tickstate_shared::protocol::BUTTON_ACTION;

#[derive(Default)]
struct KingOfTheHill {
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
        self.hill = ctx.world_mut().spawn(4, Vec2::new(400.0, 300.0), 60.0).ok();
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _name: &str) -> Spawn {
        self.points.insert(player, 0);
        let pos = ctx.random_free_spot(20.0, 32).unwrap_or(Vec2::new(40.0, 40.0));
        Spawn { kind: 1, pos }
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
            .iter()
            .filter(|p| ctx.world().get(p.entity).is_some_and(|e| e.touches(&hill)))
            .map(|p| p.id)
            .collect();
        if let [king] = on_hill[..] {
            *self.points.entry(king).or_default() += 1;
        }
        for i in inputs {
            if i.buttons & BUTTON_ACTION != 0 && on_hill.contains(&i.player) {
                ctx.kick(i.player, "no camping on the hill");
            }
        }
        if ctx.tick() % 60 == 0 {
            let board: Vec<(String, u32)> = ctx
                .players()
                .iter()
                .map(|p| (p.name.to_owned(), self.points.get(&p.id).copied().unwrap_or(0)))
                .collect();
            ctx.broadcast("leaderboard", &board);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let rules = Arc::new(|_room: &str| Box::new(KingOfTheHill::default()) as Box<dyn GameRules>);
    run(listener, ServerConfig::default(), rules, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
