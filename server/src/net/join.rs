//! The connect middleware: decide whether a connection may join, and which room it joins.
//!
//! In order: decode the connect auth within its limits ([`ConnectAuth::decode`]); require protocol
//! 2; for a fresh join, run the server's authenticator (if any) and check the room name; pick the
//! room (the token's, the one named, or matchmaking) and ask it to admit the player. A room that
//! stops or fills up between the choice and the join is retried. Every refusal is a typed
//! [`JoinRefusal`], sent as the `connect_error` message, counted, and logged at debug.

use std::convert::Infallible;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State};
use socketioxide::handler::FromConnectParts;
use socketioxide::socket::Socket;
use socketioxide_core::Value;
use tickstate_shared::PROTOCOL_VERSION;
use tickstate_shared::protocol::ConnectAuth;
use tickstate_shared::reasons::{JoinRefusal, Refusal};

use super::auth::{sanitize_name, validate_room};
use super::link::SocketLink;
use super::session::{Budget, Session};
use crate::auth::AuthRequest;
use crate::hub::{ClientEntry, Hub};
use crate::room::{ConnId, Control, JoinRequest, JoinTicket};
use crate::rules::JoinOptions;
use crate::stats::ClientStats;

/// The connect auth as the bytes the client sent (decoded by [`ConnectAuth::decode`], which
/// checks every limit before it builds anything).
pub struct RawAuth(pub Option<Bytes>);

impl<A: Adapter> FromConnectParts<A> for RawAuth {
    type Error = Infallible;
    fn from_connect_parts(_: &Arc<Socket<A>>, auth: &Option<Value>) -> Result<Self, Infallible> {
        Ok(RawAuth(auth.as_ref().and_then(|v| v.as_bytes().cloned())))
    }
}

/// Connect middleware: admit the player into its room or refuse with a reason.
///
/// # Errors
/// The [`JoinRefusal`] that becomes the client's `connect_error` message.
pub async fn join(s: SocketRef, RawAuth(raw): RawAuth, State(app): State<Arc<Hub>>) -> Result<(), JoinRefusal> {
    let refuse = |why: JoinRefusal| {
        app.stats.joins_refused.fetch_add(1, Relaxed);
        tracing::debug!(sid = %s.id, why = %why, "connection refused");
        Err(why)
    };
    let auth = match ConnectAuth::decode(raw.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r.into()),
    };
    if auth.protocol != Some(PROTOCOL_VERSION) {
        let stated = auth.protocol.map_or_else(|| "none".to_owned(), |v| v.to_string());
        return refuse(JoinRefusal::with_detail(
            Refusal::ProtocolMismatch,
            format!("this server speaks protocol {PROTOCOL_VERSION}; the client stated {stated}"),
        ));
    }
    let name = sanitize_name(auth.name.as_deref().unwrap_or(""));
    let room_name = match auth.room.as_deref() {
        None | Some("") => None,
        Some(r) => match validate_room(r) {
            Some(r) => Some(r.to_owned()),
            None => return refuse(Refusal::InvalidRoom.into()),
        },
    };
    // A fresh join is authenticated; a resume is proven by its token.
    let identity = match (&app.authenticator, &auth.token) {
        (Some(a), None) => {
            let req = AuthRequest {
                credential: auth.credential.as_deref(),
                name: &name,
                room: room_name.as_deref(),
            };
            match a.authenticate(req).await {
                Ok(id) => Some(id),
                Err(why) => return refuse(why),
            }
        }
        _ => None,
    };
    let conn = ConnId(app.next_conn.fetch_add(1, Relaxed));
    let client = Arc::new(ClientStats::default());
    let options = JoinOptions::new(auth.options.clone());
    let mut attempt = 0;
    let (room, welcome) = loop {
        attempt += 1;
        let room = if let Some(token) = auth.token.as_deref() {
            match app.rooms.sessions().room_of(token).and_then(|r| app.rooms.get(&r)) {
                Some(r) => r,
                None => return refuse(Refusal::InvalidToken.into()),
            }
        } else {
            let chosen = match &room_name {
                None => app.rooms.pick(&app.config.default_room),
                Some(r) => app.rooms.get_or_create(r),
            };
            match chosen {
                Ok(r) => r,
                Err(why) => return refuse(why),
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let ticket = JoinTicket {
            request: JoinRequest {
                conn,
                name: name.clone(),
                client: client.clone(),
                resume: auth.token.clone(),
                options: options.clone(),
                identity: identity.clone(),
            },
            link: Box::new(SocketLink::new(s.clone())),
            reply,
        };
        let outcome = if room.send_control(Control::Join(ticket)) {
            match tokio::time::timeout(app.config.join_timeout, answer).await {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => Err(Refusal::RoomUnavailable.into()),
                Err(_) => return refuse(Refusal::Busy.into()),
            }
        } else {
            Err(Refusal::RoomUnavailable.into())
        };
        match outcome {
            Ok(w) => break (room, w),
            // Matchmaking raced another join, or the room was disposed of meanwhile: choose again.
            Err(why)
                if attempt < 3
                    && (why.reason == Refusal::RoomUnavailable
                        || (why.reason == Refusal::RoomFull && room_name.is_none() && auth.token.is_none())) =>
            {
                continue;
            }
            Err(why) => return refuse(why),
        }
    };
    let budget = Budget::new(
        room.settings().tick_rate,
        &app.config.inputs,
        &app.config.messages,
        Instant::now(),
    );
    let display = welcome
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
            name: display,
            stats: client.clone(),
        },
    );
    s.extensions.insert(Session {
        conn,
        room,
        welcome: Arc::new(welcome),
        schema: app.game.schema().clone(),
        stats: app.stats.clone(),
        client,
        budget: Arc::new(Mutex::new(budget)),
        end_reason: Arc::default(),
        ping_window: app.config.ping_interval + app.config.ping_timeout,
    });
    Ok(())
}
