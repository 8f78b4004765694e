//! Token validation: a token string to [`AuthInfo`], every rule of DESIGN.md "Validation
//! rules", cheapest first.
//!
//! - `compact`: steps 1-2, the compact JWS and its JOSE header;
//! - the key lookup (step 3) is the key store's;
//! - [`Validator::verify`]: step 4, the signature, and the typed claims (`payload`);
//! - `rules`: step 5, issuer, time and audience, and the organization rule; they run on every
//!   use of a token.
//!
//! Scopes (step 6) are checked by the caller that knows what a route needs.
//!
//! Part of the validation core: nothing here knows about Axum or HTTP responses.

mod compact;
mod error;
mod payload;
mod rules;

pub use error::InvalidTokenReason;
pub(crate) use error::TokenError;
pub(crate) use rules::{Model, organization};

use crate::claims::AuthInfo;
use crate::keys::{KeyError, KeyFetchError, KeyStore};
use crate::redact::Redacted;
use crate::settings::ValidationSettings;

/// The validation core: settings and keys.
#[derive(Debug)]
pub(crate) struct Validator {
    settings: ValidationSettings,
    keys: KeyStore,
}

impl Validator {
    pub(crate) fn new(settings: ValidationSettings, keys: KeyStore) -> Self {
        Self { settings, keys }
    }

    pub(crate) fn settings(&self) -> &ValidationSettings {
        &self.settings
    }

    pub(crate) fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Loads the keys now.
    pub(crate) async fn preload(&self) -> Result<(), KeyFetchError> {
        self.keys.preload().await
    }

    /// Steps 1-4, then the claims are typed (but not yet judged: see [`Self::check`]).
    pub(crate) async fn verify(&self, token: &str) -> Result<AuthInfo, TokenError> {
        let compact = compact::parse(token, self.settings.max_token_size)?;
        let header = &compact.header;
        let key = self
            .keys
            .key_for(header.kid.as_deref(), header.alg)
            .await
            .map_err(|error| match error {
                KeyError::AlgorithmMismatch => InvalidTokenReason::AlgorithmMismatch.into(),
                KeyError::UnknownKey => InvalidTokenReason::UnknownKey.into(),
                KeyError::Unavailable => TokenError::KeysUnavailable,
            })?;
        let kid = header.kid.as_deref().map(Redacted);
        if !key.verify(compact.signing_input.as_bytes(), &compact.signature) {
            tracing::trace!(kid = ?kid, "signature does not verify");
            return Err(InvalidTokenReason::BadSignature.into());
        }
        tracing::trace!(kid = ?kid, alg = header.alg.name(), "token signature verified");
        let claims = compact::decode_json_object(compact.payload_b64)?;
        Ok(payload::auth_info(claims)?)
    }

    /// Step 5 for `model`: issuer, time, audience.
    pub(crate) fn check(&self, info: &AuthInfo, model: Model) -> Result<(), TokenError> {
        rules::check_claims(&self.settings, info, model)
    }
}
