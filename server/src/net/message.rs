//! Client messages: every event that is not `input` or `ping` goes through this extractor (on the
//! fallback handler), in arrival order.
//!
//! The event name must be one of the game's declared messages (`unknown` otherwise: counted, never
//! stored per name); its payload (the event's first argument) must be at most the message's
//! `max_bytes` of MessagePack and nested at most 8 deep (`too_large`); the client must be within its
//! message rate (`rate`); and the payload must decode into the message's type (`bad_payload`). Then
//! the decoded message is queued for the room, which hands it to the rules' `on_message`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use socketioxide::adapter::Adapter;
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use socketioxide_core::Value;
use tickstate_shared::msgpack;
use tickstate_shared::protocol::limits::MAX_PAYLOAD_DEPTH;

use super::session::Session;
use super::{Offence, offend};
use crate::room::MessageEnvelope;
use crate::rules::ClientMessage;
use crate::stats::{MessageDrop, MessageReject};

/// Decodes a game message, applies its limits and queues it for the room.
pub struct QueuedMessage;

/// What became of a message packet.
enum Verdict {
    Queued,
    Rejected(MessageReject),
    Dropped(MessageDrop),
}

impl<A: Adapter> FromMessageParts<A> for QueuedMessage {
    type Error = Infallible;

    fn from_message_parts(s: &Arc<Socket<A>>, v: &mut Value, _ack: &Option<i64>) -> Result<Self, Infallible> {
        let Some(session) = s.extensions.get::<Session>() else {
            return Ok(QueuedMessage);
        };
        let stats = &session.stats;
        stats.messages.received();
        let verdict = match v.as_bytes() {
            Some(bytes) => check(&session, bytes),
            None => Verdict::Rejected(MessageReject::BadPayload),
        };
        let offence = match verdict {
            Verdict::Queued => false,
            Verdict::Rejected(r) => {
                stats.messages.rejected(r);
                tracing::debug!(sid = %s.id, reason = r.as_str(), "message rejected");
                // An unknown event name is counted and dropped, not held against the client: an
                // older or newer client may emit events this game does not declare. Its cost is
                // one name lookup, and nothing is stored per name.
                if r == MessageReject::Unknown {
                    stats.unknown_events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    false
                } else {
                    true
                }
            }
            Verdict::Dropped(d) => {
                stats.messages.dropped(d);
                d == MessageDrop::Rate
            }
        };
        if offence {
            let spent = {
                let mut b = session.budget.lock().unwrap_or_else(|p| p.into_inner());
                !b.offences.take(Instant::now())
            };
            if spent {
                offend(s, &session, Offence::Messages);
            }
        }
        Ok(QueuedMessage)
    }
}

fn check(session: &Session, bytes: &[u8]) -> Verdict {
    // `[event, payload, ...]`: the name, then the payload as its own slice.
    let mut rd = bytes;
    let Ok(n) = msgpack::read_array_len(&mut rd) else {
        return Verdict::Rejected(MessageReject::BadPayload);
    };
    let Ok(name) = msgpack::read_str(&mut rd) else {
        return Verdict::Rejected(MessageReject::BadPayload);
    };
    let Some((index, decl)) = session.schema.message_by_name(name) else {
        return Verdict::Rejected(MessageReject::Unknown);
    };
    let payload = if n >= 2 {
        let start = rd;
        if msgpack::skip_value(&mut rd, MAX_PAYLOAD_DEPTH).is_err() {
            return Verdict::Rejected(MessageReject::TooLarge);
        }
        &start[..start.len() - rd.len()]
    } else {
        &[0xc0][..]
    };
    if payload.len() > decl.def.max_bytes as usize {
        return Verdict::Rejected(MessageReject::TooLarge);
    }
    {
        let mut b = session.budget.lock().unwrap_or_else(|p| p.into_inner());
        if !b.messages.take(Instant::now()) {
            return Verdict::Dropped(MessageDrop::Rate);
        }
    }
    match (decl.decode)(payload) {
        Ok(payload) => {
            session.room.send_message(MessageEnvelope {
                conn: session.conn,
                message: ClientMessage { index, payload },
            });
            Verdict::Queued
        }
        Err(e) => {
            tracing::debug!(message = name, error = %e, "message payload does not decode");
            Verdict::Rejected(MessageReject::BadPayload)
        }
    }
}
