//! The `input` extractor: decode, rate-limit and queue each input in arrival order.
//!
//! socketioxide runs extractors synchronously as packets arrive and only then spawns the handler,
//! so doing the work here keeps each client's inputs in the order they came. The input is decoded
//! straight from the packet's bytes against the game's declared input fields, without allocating.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use socketioxide::adapter::Adapter;
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use socketioxide_core::Value;
use tickstate_shared::input::{InputError, InputMsg};

use super::session::Session;
use super::{Offence, offend};
use crate::room::InputEnvelope;
use crate::stats::{DropReason, RejectReason};

/// Decodes an `input` packet, applies the input rate and queues it for the room.
pub struct QueuedInput;

impl<A: Adapter> FromMessageParts<A> for QueuedInput {
    type Error = Infallible;

    fn from_message_parts(s: &Arc<Socket<A>>, v: &mut Value, _ack: &Option<i64>) -> Result<Self, Infallible> {
        let Some(session) = s.extensions.get::<Session>() else {
            return Ok(QueuedInput);
        };
        let st = &session.stats;
        st.received_from(&session.client, 1);
        let decoded = match v.as_bytes() {
            Some(b) => InputMsg::decode_event(b, &session.schema.doc().input),
            None => Err(InputError::Parse),
        };
        let now = Instant::now();
        let offence = {
            let mut budget = session.budget.lock().unwrap_or_else(|p| p.into_inner());
            match decoded {
                Err(e) => {
                    let reason = match e {
                        InputError::Parse => RejectReason::Parse,
                        InputError::WrongType(_) => RejectReason::WrongType,
                        InputError::OutOfRange(_) => RejectReason::OutOfRange,
                        InputError::NonFinite(_) => RejectReason::NonFinite,
                    };
                    st.rejected_for(&session.client, reason, 1);
                    tracing::debug!(sid = %s.id, error = %e, "input rejected");
                    !budget.offences.take(now)
                }
                Ok(_) if !budget.inputs.take(now) => {
                    st.dropped_for(&session.client, DropReason::Rate, 1);
                    !budget.offences.take(now)
                }
                Ok(input) => {
                    session.room.send_input(InputEnvelope {
                        conn: session.conn,
                        input,
                        client: session.client.clone(),
                    });
                    false
                }
            }
        };
        if offence {
            offend(s, &session, Offence::Inputs);
        }
        Ok(QueuedInput)
    }
}
