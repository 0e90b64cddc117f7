//! HTTP: the public game router and the operator router.
//!
//! Two listeners, two routers, one [`Hub`]:
//! - [`game_router`] on the game port serves only what players need: Socket.IO at `/socket.io/`,
//!   `/healthz`, the lobby `/rooms` (room names and seat counts, no player names) and the static
//!   Phaser client at `/`;
//! - [`admin::router`] on the operator port serves `/stats`, `/stats/clients` and `/metrics`,
//!   behind an optional bearer token ([`admin`]).

pub mod admin;
mod client_page;
mod lobby;
mod metrics;
mod stats;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use socketioxide::layer::SocketIoLayer;

use crate::hub::Hub;

/// The game port's app: Socket.IO (`layer`), `/healthz`, `/rooms` and the client at `/`.
pub fn game_router(hub: Arc<Hub>, layer: SocketIoLayer) -> Router {
    let client = client_page::service(hub.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/rooms", get(lobby::rooms))
        .with_state(hub)
        .fallback_service(client)
        .layer(layer)
}

async fn healthz() -> &'static str {
    "ok\n"
}
