//! The Socket.IO side: every event is registered here, and handlers only enqueue.
//!
//! - connect middleware ([`join`]): checks the auth, asks the room to admit the player (the room
//!   answers from its tick thread) and refuses with a `connect_error` message when it says no;
//! - connect handler: sends `welcome`, registers the event handlers, tells the room it is ready;
//! - `input`: decoded, rate-limited and queued *inside the extractor* ([`QueuedInput`]), which
//!   socketioxide runs in packet order before it spawns the handler task; so one client's inputs
//!   enter the room's queue in the order they arrived;
//! - `ping`: acknowledged with the value sent; unknown events are counted;
//! - disconnect: tells the room the player left, and counts why.
//!
//! A client that keeps sending invalid or too many inputs runs out of its offence budget and is
//! disconnected with `bye` reason `abuse`.

mod auth;
pub mod bucket;
mod link;
pub mod listener;

use std::convert::Infallible;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::{ConnectHandler, FromMessageParts};
use socketioxide::socket::{DisconnectReason as SocketEnd, Socket};
use socketioxide::{ParserConfig, SocketIo, SocketIoBuilder, TransportType};
use socketioxide_core::Value;
use tickstate_shared::protocol::{Bye, ConnectAuth, InputMsg, Welcome, events};

pub use auth::{sanitize_name, validate_room};
pub use link::SocketLink;

use crate::hub::{ClientEntry, Hub};
use crate::room::{ConnId, Control, InputEnvelope, JoinTicket, Refusal, RoomHandle};
use crate::rules::LeaveReason;
use crate::stats::{ClientStats, DisconnectReason, DropReason, RejectReason, Stats};
use bucket::TokenBucket;
use listener::ConnInfo;

/// The input-rate and offence buckets of one connection.
#[derive(Debug)]
struct Budget {
    inputs: TokenBucket,
    offences: TokenBucket,
}

/// What the network layer remembers about an admitted connection (in the socket's extensions).
#[derive(Clone)]
pub struct Session {
    conn: ConnId,
    room: RoomHandle,
    welcome: Arc<Welcome>,
    stats: Arc<Stats>,
    client: Arc<ClientStats>,
    budget: Arc<Mutex<Budget>>,
    /// Set when the server ends the connection on purpose (e.g. `abuse`), for the disconnect count.
    end_reason: Arc<OnceLock<DisconnectReason>>,
    ping_window: std::time::Duration,
}

/// Builds the Socket.IO layer with Tickstate's transport settings and registers namespace `/`.
pub fn socket_layer(state: Arc<Hub>) -> (socketioxide::layer::SocketIoLayer, SocketIo) {
    let cfg = &state.config;
    let (layer, io) = SocketIoBuilder::new()
        .with_parser(ParserConfig::msgpack())
        .transports([TransportType::Websocket])
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

/// Connect middleware: admit the player into its room or refuse with a reason.
///
/// # Errors
/// The [`Refusal`] whose text becomes the client's `connect_error` message.
pub async fn join(
    s: SocketRef,
    TryData(auth): TryData<Option<ConnectAuth>>,
    State(app): State<Arc<Hub>>,
) -> Result<(), Refusal> {
    let refuse = |why: &str| {
        app.stats.joins_refused.fetch_add(1, Relaxed);
        tracing::debug!(sid = %s.id, why, "connection refused");
        Err(Refusal(why.to_owned()))
    };
    let auth = match auth {
        Ok(a) => a.unwrap_or_default(),
        Err(_) => return refuse("invalid_auth"),
    };
    let token_too_long = auth
        .token
        .as_ref()
        .is_some_and(|t| t.len() > tickstate_shared::protocol::limits::MAX_TOKEN_BYTES);
    if token_too_long {
        return refuse("invalid_auth");
    }
    let conn = ConnId(app.next_conn.fetch_add(1, Relaxed));
    let client = Arc::new(ClientStats::default());
    let name = sanitize_name(auth.name.as_deref().unwrap_or(""));
    // Which room: the token's (resume), the one asked for, or matchmaking. A room that stops or
    // fills up between the choice and the join is retried.
    let mut attempt = 0;
    let (room, welcome) = loop {
        attempt += 1;
        let room = if let Some(token) = auth.token.as_deref() {
            match app.rooms.sessions().room_of(token).and_then(|r| app.rooms.get(&r)) {
                Some(r) => r,
                None => return refuse("invalid_token"),
            }
        } else {
            let chosen = match auth.room.as_deref() {
                None | Some("") => app.rooms.pick(&app.config.default_room),
                Some(r) => match validate_room(r) {
                    Some(r) => app.rooms.get_or_create(r),
                    None => return refuse("invalid_room"),
                },
            };
            match chosen {
                Ok(r) => r,
                Err(e) => return refuse(&e.0),
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let ticket = JoinTicket {
            conn,
            name: name.clone(),
            link: Box::new(SocketLink::new(s.clone())),
            client: client.clone(),
            resume: auth.token.clone(),
            reply,
        };
        let outcome = if room.control(Control::Join(ticket)) {
            match tokio::time::timeout(app.config.join_timeout, answer).await {
                Ok(Ok(Ok(w))) => Ok(w),
                Ok(Ok(Err(refusal))) => Err(refusal.0),
                Ok(Err(_)) => Err("room_unavailable".to_owned()),
                Err(_) => return refuse("busy"),
            }
        } else {
            Err("room_unavailable".to_owned())
        };
        match outcome {
            Ok(w) => break (room, w),
            // Matchmaking raced another join, or the room was disposed of meanwhile: choose again.
            Err(why) if attempt < 3 && (why == "room_unavailable" || (why == "room_full" && auth.room.is_none())) => {
                continue;
            }
            Err(why) => return refuse(&why),
        }
    };
    let tick_rate = f64::from(room.settings().tick_rate);
    let policy = app.config.inputs;
    let now = Instant::now();
    let budget = Budget {
        inputs: TokenBucket::new(
            policy.rate.unwrap_or(tick_rate * 1.25),
            policy.burst.unwrap_or(tick_rate / 2.0),
            now,
        ),
        offences: TokenBucket::new(
            if policy.offence_burst > 0.0 {
                policy.offence_rate.max(f64::MIN_POSITIVE)
            } else {
                0.0
            },
            policy.offence_burst,
            now,
        ),
    };
    let name = welcome
        .players
        .iter()
        .find(|p| p.id == welcome.id)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    app.clients.lock().unwrap_or_else(|p| p.into_inner()).insert(
        conn.0,
        ClientEntry {
            room: room.name().to_owned(),
            id: welcome.id,
            name,
            stats: client.clone(),
        },
    );
    s.extensions.insert(Session {
        conn,
        room,
        welcome: Arc::new(welcome),
        stats: app.stats.clone(),
        client,
        budget: Arc::new(Mutex::new(budget)),
        end_reason: Arc::default(),
        ping_window: app.config.ping_interval + app.config.ping_timeout,
    });
    Ok(())
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
        let conn_info = s.req_parts().extensions.get::<Arc<ConnInfo>>().cloned();
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
            LeaveReason::Disconnected
        };
        // A client that said goodbye (or that the server removed) leaves now; a connection that
        // dropped keeps its seat for the hold period so the player can resume with its token.
        leave.room.control(Control::Leave(leave.conn, reason, why.holds_seat()));
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
    let stats = session.stats.clone();
    s.on_fallback(async move || {
        stats.unknown_events.fetch_add(1, Relaxed);
    });
    session.room.control(Control::Ready(session.conn));
    tracing::debug!(sid = %s.id, id = session.welcome.id, room = %session.welcome.room, "connected");
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

/// Extractor that decodes an `input` packet, applies the input rate and queues it for the room.
///
/// socketioxide runs extractors synchronously as packets arrive and only then spawns the handler,
/// so doing the work here keeps each client's inputs in arrival order.
pub struct QueuedInput;

impl FromMessageParts<LocalAdapter> for QueuedInput {
    type Error = Infallible;

    fn from_message_parts(s: &Arc<Socket<LocalAdapter>>, v: &mut Value, ack: &Option<i64>) -> Result<Self, Infallible> {
        // A 1-tuple: the event's single argument is the array `[seq, dx, dy, buttons]`.
        let Ok(TryData(decoded)) = TryData::<(InputMsg,)>::from_message_parts(s, v, ack);
        let Some(session) = s.extensions.get::<Session>() else {
            return Ok(QueuedInput);
        };
        let st = &session.stats;
        st.received_from(&session.client, 1);
        let now = Instant::now();
        let mut budget = session.budget.lock().unwrap_or_else(|p| p.into_inner());
        let offence = match decoded {
            Err(e) => {
                st.rejected_for(&session.client, RejectReason::Parse, 1);
                tracing::debug!(sid = %s.id, error = %e, "input rejected: not [seq, dx, dy, buttons]");
                true
            }
            Ok(_) if !budget.inputs.take(now) => {
                st.dropped_for(&session.client, DropReason::Rate, 1);
                true
            }
            Ok((input,)) => {
                session.room.input(InputEnvelope {
                    conn: session.conn,
                    input,
                    client: session.client.clone(),
                });
                false
            }
        };
        if offence && !budget.offences.take(now) && session.end_reason.set(DisconnectReason::Abuse).is_ok() {
            drop(budget);
            tracing::warn!(sid = %s.id, "too many invalid or excess inputs: disconnecting (abuse)");
            let bye = Bye {
                reason: "abuse".into(),
                message: "too many invalid or excess inputs".into(),
            };
            let _ = s.emit(events::BYE, &bye);
            let _ = s.clone().disconnect();
        }
        Ok(QueuedInput)
    }
}
