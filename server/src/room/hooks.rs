//! Running game-rules hooks with panic containment.
//!
//! Every hook runs under `catch_unwind`. A panic stops only its room: the hook's name and the
//! panic message are logged, the players get `bye` (`room_error`), and the process and every other
//! room go on.

use std::any::Any;

/// The rules hooks, named as in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// [`crate::rules::GameRules::on_start`].
    OnStart,
    /// [`crate::rules::GameRules::on_join_attempt`].
    OnJoinAttempt,
    /// [`crate::rules::GameRules::on_join`].
    OnJoin,
    /// [`crate::rules::GameRules::on_leave`].
    OnLeave,
    /// [`crate::rules::GameRules::on_disconnect`].
    OnDisconnect,
    /// [`crate::rules::GameRules::on_reconnect`].
    OnReconnect,
    /// [`crate::rules::GameRules::on_message`].
    OnMessage,
    /// [`crate::rules::GameRules::tick`].
    Tick,
    /// [`crate::rules::GameRules::on_shutdown`].
    OnShutdown,
}

impl Hook {
    /// The hook's name in logs and in the `room_error` message.
    pub const fn name(self) -> &'static str {
        match self {
            Hook::OnStart => "on_start",
            Hook::OnJoinAttempt => "on_join_attempt",
            Hook::OnJoin => "on_join",
            Hook::OnLeave => "on_leave",
            Hook::OnDisconnect => "on_disconnect",
            Hook::OnReconnect => "on_reconnect",
            Hook::OnMessage => "on_message",
            Hook::Tick => "tick",
            Hook::OnShutdown => "on_shutdown",
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}
