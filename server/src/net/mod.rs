//! The Socket.IO side: every event is registered here, and handlers only enqueue.
//!
//! - connect middleware ([`join`](mod@join)): checks the auth and the protocol version, authenticates,
//!   asks the room to admit the player (the room answers from its tick thread) and refuses with a
//!   typed `connect_error` message when it says no;
//! - connect handler: sends `welcome`, registers the event handlers, tells the room it is ready;
//! - `input`: decoded, rate-limited and queued *inside the extractor* ([`QueuedInput`]), which
//!   socketioxide runs in packet order before it spawns the handler task; so one client's inputs
//!   enter the room's queue in the order they arrived;
//! - the game's messages (`chat`, `buy`, …): the same, on the fallback handler ([`QueuedMessage`]);
//!   events that are not declared are counted and dropped;
//! - `ping`: acknowledged with the value sent;
//! - disconnect: tells the room the player left, and counts why.
//!
//! A client that keeps sending invalid or too many inputs or messages runs out of its offence
//! budget and is disconnected with `bye` reason `abuse`.

mod auth;
pub mod bucket;
mod input;
pub mod join;
mod link;
pub mod listener;
mod message;
mod session;

use std::sync::Arc;

use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::{DisconnectReason as SocketEnd, Socket};
use socketioxide::{ParserConfig, SocketIo, SocketIoBuilder, TransportType};
use tickstate_shared::protocol::{Bye, events};
use tickstate_shared::reasons::{ByeReason, LeaveReason};

pub use auth::{sanitize_name, validate_room};
pub use input::QueuedInput;
pub use join::join;
pub use link::SocketLink;
pub use message::QueuedMessage;

use crate::hub::Hub;
use crate::room::Control;
use crate::stats::DisconnectReason;
use listener::ConnInfo;
use session::Session;

/// Builds the Socket.IO layer with Tickstate's transport settings and registers namespace `/`.
pub fn socket_layer(state: Arc<Hub>) -> (socketioxide::layer::SocketIoLayer, SocketIo) {
    let cfg = &state.config;
    let builder = SocketIoBuilder::new().with_parser(ParserConfig::msgpack());
    let builder = if cfg.polling {
        builder.transports([TransportType::Polling, TransportType::Websocket])
    } else {
        builder.transports([TransportType::Websocket])
    };
    let (layer, io) = builder
        .ping_interval(cfg.ping_interval)
        .ping_timeout(cfg.ping_timeout)
        .connect_timeout(cfg.connect_timeout)
        .ws_max_message_size(cfg.max_message_bytes)
        .ws_max_frame_size(cfg.max_message_bytes)
        .max_payload(cfg.max_message_bytes as u64)
        .max_buffer_size(cfg.socket_buffer)
        .with_state(state.clone())
        .build_layer();
    io.ns("/", on_connect.with(join));
    (layer, io)
}

async fn on_connect(s: SocketRef, State(app): State<Arc<Hub>>) {
    let Some(session) = s.extensions.get::<Session>() else {
        // The middleware always stores a session before the handler runs.
        tracing::error!(sid = %s.id, "connected without a session; closing");
        let _ = s.disconnect();
        return;
    };
    let leave = session.clone();
    s.on_disconnect(async move |s: SocketRef, reason: SocketEnd| {
        // A session that upgraded from long-polling still has the handshake request's parts: its
        // WebSocket connection is the one that says whether it was a slow consumer.
        let conn_info = app
            .upgrades
            .take(&s.id.to_string())
            .or_else(|| s.req_parts().extensions.get::<Arc<ConnInfo>>().cloned());
        let why = disconnect_reason(
            reason,
            leave.end_reason.get().copied(),
            conn_info.as_deref(),
            leave.ping_window,
        );
        leave.stats.disconnect(why);
        tracing::debug!(sid = %s.id, %why, "disconnected");
        app.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&leave.conn.0);
        let reason = if why.is_timeout() {
            LeaveReason::Timeout
        } else {
            LeaveReason::Disconnect
        };
        // A client that said goodbye (or that the server removed) leaves now; a connection that
        // dropped keeps its seat for the hold period so the player can resume with its token.
        leave.room.send_control(Control::Leave {
            conn: leave.conn,
            reason,
            hold: why.holds_seat(),
        });
    });
    if let Err(e) = s.emit(events::WELCOME, &*session.welcome) {
        tracing::debug!(sid = %s.id, error = %e, "could not send welcome");
    }
    s.on(events::INPUT, async |_: QueuedInput| {});
    s.on(events::PING, async |TryData(t): TryData<f64>, ack: AckSender| {
        if let Ok(t) = t {
            let _ = ack.send(&t);
        }
    });
    s.on(events::SNAPSHOT_ACK, async |s: SocketRef, TryData(t): TryData<u32>| {
        let (Ok(tick), Some(session)) = (t, s.extensions.get::<Session>()) else {
            return;
        };
        let allowed = session
            .budget
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .acks
            .take(std::time::Instant::now());
        if allowed {
            session.room.send_snapshot_ack(session.conn, tick);
        }
    });
    s.on_fallback(async |_: QueuedMessage| {});
    session.room.send_control(Control::Ready(session.conn));
    tracing::debug!(sid = %s.id, id = session.welcome.id, room = %session.welcome.room, "connected");
}

/// What a client overspent.
#[derive(Debug, Clone, Copy)]
enum Offence {
    Inputs,
    Messages,
}

/// The client ran out of its offence budget: `bye` `abuse`, then disconnect (once).
fn offend<A: Adapter>(s: &Arc<Socket<A>>, session: &Session, what: Offence) {
    if session.end_reason.set(DisconnectReason::Abuse).is_err() {
        return;
    }
    let message = match what {
        Offence::Inputs => "too many invalid or excess inputs",
        Offence::Messages => "too many invalid or excess messages",
    };
    tracing::warn!(sid = %s.id, message, "disconnecting (abuse)");
    let bye = Bye {
        reason: ByeReason::Abuse,
        message: message.into(),
    };
    let _ = s.emit(events::BYE, &bye);
    let _ = s.clone().disconnect();
}

/// Names why a connection ended, for `/stats`.
fn disconnect_reason(
    r: SocketEnd,
    ours: Option<DisconnectReason>,
    conn: Option<&ConnInfo>,
    ping_window: std::time::Duration,
) -> DisconnectReason {
    if let Some(why) = ours {
        return why;
    }
    if conn.is_some_and(ConnInfo::was_slow_consumer) {
        return DisconnectReason::SlowConsumer;
    }
    match r {
        // The peer stopped answering pings but is still sending us data: it is alive and not
        // reading what we send.
        SocketEnd::HeartbeatTimeout if conn.is_some_and(|c| c.since_last_read() < ping_window / 2) => {
            DisconnectReason::SlowConsumer
        }
        SocketEnd::HeartbeatTimeout => DisconnectReason::HeartbeatTimeout,
        SocketEnd::TransportClose => DisconnectReason::TransportClose,
        SocketEnd::TransportError => DisconnectReason::TransportError,
        SocketEnd::ClientNSDisconnect => DisconnectReason::ClientDisconnect,
        SocketEnd::ServerNSDisconnect => DisconnectReason::ServerDisconnect,
        SocketEnd::ClosingServer => DisconnectReason::ClosingServer,
        SocketEnd::PacketParsingError => DisconnectReason::PacketError,
        _ => DisconnectReason::Other,
    }
}
