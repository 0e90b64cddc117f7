//! An [`Authenticator`] for HMAC-signed JSON Web Tokens.
//!
//! The game's web backend signs a token for each signed-in player with a secret it shares with
//! the game server (`HS256` by default), with at least `sub` (the account id) and `exp` (expiry,
//! seconds since the epoch). The browser passes it in the connect auth as `credential`. The server
//! checks the signature, the algorithm, `exp` (and `nbf`), and `iss`/`aud` when configured, and
//! the player joins with `Identity { subject: sub, claims }`.
//!
//! ```
//! use tickstate_server::auth::jwt::HmacJwt;
//! let auth = HmacJwt::hs256(b"a secret of at least 32 bytes, shared with the backend")
//!     .unwrap()
//!     .with_issuer("my-game");
//! # let _ = auth;
//! ```

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use tickstate_shared::reasons::{JoinRefusal, Refusal};

use super::{AuthFuture, AuthRequest, Authenticator, Identity};

/// Why an HMAC key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtKeyError {
    /// The secret is shorter than 32 bytes (HS256 needs at least 256 bits to be worth anything).
    #[error("the JWT secret must be at least 32 bytes (got {0})")]
    TooShort(usize),
    /// Not an HMAC algorithm.
    #[error("only HS256, HS384 and HS512 are supported")]
    NotHmac,
}

/// Checks HMAC-signed JWTs. See the module docs.
pub struct HmacJwt {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for HmacJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("HmacJwt")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

impl HmacJwt {
    /// Tokens signed with HS256 and `secret`; `sub` and `exp` are required, 30 s of clock skew are
    /// allowed.
    ///
    /// # Errors
    /// [`JwtKeyError::TooShort`] for a secret under 32 bytes.
    pub fn hs256(secret: &[u8]) -> Result<Self, JwtKeyError> {
        Self::with_algorithm(secret, Algorithm::HS256)
    }

    /// Tokens signed with one HMAC algorithm (HS256, HS384 or HS512).
    ///
    /// # Errors
    /// [`JwtKeyError`] for a short secret or a non-HMAC algorithm.
    pub fn with_algorithm(secret: &[u8], alg: Algorithm) -> Result<Self, JwtKeyError> {
        if !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(JwtKeyError::NotHmac);
        }
        if secret.len() < 32 {
            return Err(JwtKeyError::TooShort(secret.len()));
        }
        let key = DecodingKey::from_secret(secret).map_err(|_| JwtKeyError::TooShort(secret.len()))?;
        let mut validation = Validation::new(alg);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self { key, validation })
    }

    /// Also require `iss` to be `issuer`.
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self
    }

    /// Also require `aud` to contain `audience`.
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self
    }

    /// Checks a token and returns the identity it proves.
    ///
    /// # Errors
    /// `unauthorized` (with a short detail: missing, malformed, bad signature, expired, …) or
    /// `forbidden` (wrong issuer or audience).
    pub fn verify(&self, token: Option<&str>) -> Result<Identity, JoinRefusal> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(JoinRefusal::with_detail(
                Refusal::Unauthorized,
                "a credential is required",
            ));
        };
        let data = decode::<serde_json::Value>(token, &self.key, &self.validation).map_err(|e| {
            let (reason, detail) = match e.kind() {
                ErrorKind::ExpiredSignature => (Refusal::Unauthorized, "the credential has expired"),
                ErrorKind::ImmatureSignature => (Refusal::Unauthorized, "the credential is not valid yet"),
                ErrorKind::InvalidSignature => (Refusal::Unauthorized, "the credential's signature is invalid"),
                ErrorKind::InvalidAlgorithm => (Refusal::Unauthorized, "the credential uses another algorithm"),
                ErrorKind::MissingRequiredClaim(_) => (Refusal::Unauthorized, "the credential lacks a required claim"),
                ErrorKind::InvalidIssuer => (Refusal::Forbidden, "the credential is for another issuer"),
                ErrorKind::InvalidAudience => (Refusal::Forbidden, "the credential is for another audience"),
                _ => (Refusal::Unauthorized, "the credential is malformed"),
            };
            tracing::debug!(error = %e, "credential refused");
            JoinRefusal::with_detail(reason, detail)
        })?;
        let subject = data
            .claims
            .get("sub")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| JoinRefusal::with_detail(Refusal::Unauthorized, "the credential's sub is not a string"))?
            .to_owned();
        Ok(Identity {
            subject,
            claims: data.claims,
        })
    }
}

impl Authenticator for HmacJwt {
    fn authenticate<'a>(&'a self, req: AuthRequest<'a>) -> AuthFuture<'a> {
        Box::pin(async move { self.verify(req.credential) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn token(claims: serde_json::Value, secret: &[u8]) -> String {
        encode(&Header::default(), &claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
    }

    #[test]
    fn a_valid_token_gives_its_subject_and_claims() {
        let jwt = HmacJwt::hs256(SECRET).unwrap();
        let t = token(json!({ "sub": "user-7", "exp": now() + 600, "role": "mod" }), SECRET);
        let id = jwt.verify(Some(&t)).unwrap();
        assert_eq!(id.subject, "user-7");
        assert_eq!(id.claims["role"], "mod");
    }

    #[test]
    fn missing_forged_expired_and_malformed_tokens_are_refused() {
        let jwt = HmacJwt::hs256(SECRET).unwrap();
        let reason = |t: Option<&str>| jwt.verify(t).unwrap_err().reason;
        assert_eq!(reason(None), Refusal::Unauthorized);
        assert_eq!(reason(Some("")), Refusal::Unauthorized);
        let forged = token(
            json!({ "sub": "u", "exp": now() + 600 }),
            b"another secret of thirty-two b..",
        );
        let e = jwt.verify(Some(&forged)).unwrap_err();
        assert_eq!(
            (e.reason, e.detail.as_deref()),
            (Refusal::Unauthorized, Some("the credential's signature is invalid"))
        );
        let expired = token(json!({ "sub": "u", "exp": now() - 3600 }), SECRET);
        assert_eq!(
            jwt.verify(Some(&expired)).unwrap_err().detail.as_deref(),
            Some("the credential has expired")
        );
        let no_sub = token(json!({ "exp": now() + 600 }), SECRET);
        assert_eq!(reason(Some(&no_sub)), Refusal::Unauthorized);
        assert_eq!(reason(Some("not.a.jwt")), Refusal::Unauthorized);
        assert_eq!(reason(Some("garbage")), Refusal::Unauthorized);
        // `alg: none` and other algorithms are refused.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1IiwiZXhwIjo5OTk5OTk5OTk5fQ.";
        assert_eq!(reason(Some(none)), Refusal::Unauthorized);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(HmacJwt::hs256(b"short").unwrap_err(), JwtKeyError::TooShort(5));
        assert_eq!(
            HmacJwt::with_algorithm(SECRET, Algorithm::RS256).unwrap_err(),
            JwtKeyError::NotHmac
        );
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let jwt = HmacJwt::hs256(SECRET)
            .unwrap()
            .with_issuer("game")
            .with_audience("arena");
        let ok = token(
            json!({ "sub": "u", "exp": now() + 60, "iss": "game", "aud": "arena" }),
            SECRET,
        );
        assert!(jwt.verify(Some(&ok)).is_ok());
        let other = token(
            json!({ "sub": "u", "exp": now() + 60, "iss": "evil", "aud": "arena" }),
            SECRET,
        );
        assert_eq!(jwt.verify(Some(&other)).unwrap_err().reason, Refusal::Forbidden);
    }
}
