//! Authentication: who a connecting player is, checked before any room sees the join.
//!
//! A server may have one [`Authenticator`]. The connect middleware calls it with the connect
//! auth's `credential` (and the name and room asked for) before it picks a room; it may take its
//! time (it is async: call an accounts service, look up a ban list). It answers with an
//! [`Identity`], which the room's rules see in [`crate::rules::JoinRequest::identity`], or with a
//! typed refusal: `unauthorized` (no credential, or a bad one) or `forbidden` (a valid identity
//! that may not play). A resumed seat (a `token`) is not authenticated again: the token is the
//! proof, and it can only have come from a `welcome` sent to an authenticated player.
//!
//! [`jwt::HmacJwt`] checks HMAC-signed JSON Web Tokens (HS256/384/512), the usual choice when the
//! game's own web backend signs players in.

pub mod jwt;

use std::future::Future;
use std::pin::Pin;

pub use crate::rules::Identity;
use tickstate_shared::reasons::JoinRefusal;

/// What an authenticator is asked.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// `auth.credential`, if the client sent one.
    pub credential: Option<&'a str>,
    /// The display name asked for (already cleaned).
    pub name: &'a str,
    /// The room asked for, if any.
    pub room: Option<&'a str>,
}

/// The future an [`Authenticator`] returns.
pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Identity, JoinRefusal>> + Send + 'a>>;

/// Checks players before they join. See the module docs.
pub trait Authenticator: Send + Sync + 'static {
    /// Says who the player is, or refuses it (`unauthorized`, `forbidden`).
    fn authenticate<'a>(&'a self, req: AuthRequest<'a>) -> AuthFuture<'a>;
}
