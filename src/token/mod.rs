//! Token validation: a token string to [`AuthInfo`], every rule of DESIGN.md "Validation
//! rules", cheapest first.
//!
//! - `compact`: steps 1-2, the compact JWS and its JOSE header;
//! - the key lookup (step 3) is the key store's;
//! - [`Validator::verify`]: step 4, the signature, and the typed claims (`payload`);
//! - `rules`: step 5, issuer, time and audience, and the organization rule; they run on every
//!   use of a token;
//! - `cache`: the verified-token cache, in front of steps 1-4 (it skips only the signature).
//!
//! Scopes (step 6) are checked by the caller that knows what a route needs.
//!
//! Part of the validation core: nothing here knows about Axum or HTTP responses.

mod cache;
mod compact;
mod error;
mod payload;
mod rules;

pub use cache::CacheStats;
pub use error::InvalidTokenReason;
pub(crate) use error::TokenError;
pub(crate) use rules::{Model, organization};

use std::sync::Arc;

use cache::VerifiedCache;

use crate::claims::AuthInfo;
use crate::keys::{KeyError, KeyFetchError, KeyStore, VerifyingKey};
use crate::redact::Redacted;
use crate::settings::ValidationSettings;

/// The validation core: settings, keys, and the verified-token cache.
#[derive(Debug)]
pub(crate) struct Validator {
    settings: ValidationSettings,
    keys: KeyStore,
    cache: Option<VerifiedCache>,
}

impl Validator {
    pub(crate) fn new(settings: ValidationSettings, keys: KeyStore) -> Self {
        let cache = (settings.verified_cache_bytes > 0)
            .then(|| VerifiedCache::new(settings.verified_cache_bytes));
        Self {
            settings,
            keys,
            cache,
        }
    }

    /// What the verified-token cache holds and has done, if there is one.
    pub(crate) fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(VerifiedCache::stats)
    }

    /// Whether verified tokens are cached (the cache size is not 0).
    pub(crate) fn caches_verified_tokens(&self) -> bool {
        self.cache.is_some()
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

    /// Steps 1-4, then the claims are typed (but not yet judged: see [`Self::check`]). A token
    /// verified before, whose key is still in the key set, skips them (see `cache`).
    pub(crate) async fn verify(&self, token: &str) -> Result<AuthInfo, TokenError> {
        #[cfg(feature = "metrics")]
        let started = std::time::Instant::now();
        let result = self.verify_cached(token).await;
        #[cfg(feature = "metrics")]
        crate::telemetry::validation(started.elapsed());
        result
    }

    async fn verify_cached(&self, token: &str) -> Result<AuthInfo, TokenError> {
        let Some(cache) = &self.cache else {
            return Ok(self.verify_signature(token).await?.0);
        };
        if let Some(entry) = cache.get(token) {
            if self.keys.still_holds(&entry.key) {
                cache.hit();
                return Ok(entry.info);
            }
            // Its key was dropped, or no usable key set is loaded: verify afresh, which
            // answers as for any token of that key.
            cache.miss(token, true);
        } else {
            cache.miss(token, false);
        }
        let (info, key) = self.verify_signature(token).await?;
        if rules::worth_caching(&self.settings, &info) {
            cache.insert(token, info.clone(), key);
        }
        Ok(info)
    }

    /// Steps 1-4 and the typed claims, and the key that verified the signature.
    async fn verify_signature(
        &self,
        token: &str,
    ) -> Result<(AuthInfo, Arc<VerifyingKey>), TokenError> {
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
        Ok((payload::auth_info(claims)?, key))
    }

    /// Step 5 for `model`: issuer, time, audience.
    pub(crate) fn check(&self, info: &AuthInfo, model: Model) -> Result<(), TokenError> {
        rules::check_claims(&self.settings, info, model)
    }
}
