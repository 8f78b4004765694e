//! Token validation: a token string to [`AuthInfo`], every rule of the README's "Security"
//! section, cheapest first, and the one decision of whether it suffices for a [`Policy`].
//!
//! - `compact`: steps 1-2, the compact JWS and its JOSE header;
//! - the key lookup (step 3) is the key store's;
//! - [`Validator::verify`]: step 4, the signature, and the typed claims (`payload`);
//! - `cache`: the verified-token cache, in front of steps 1-4 (it skips only the signature);
//! - [`Validator::decide`]: the one decision, run on every use of a token: step 5 (`rules`:
//!   issuer, time, audience), the custom claims, the organization rule, the scopes (step 6)
//!   and the claim check of a [`Policy`].
//!
//! Part of the validation core: nothing here knows about Axum or HTTP responses.

mod cache;
mod compact;
mod error;
mod payload;
mod policy;
mod rules;

pub use cache::CacheStats;
pub(crate) use compact::is_b64token;
pub use error::InvalidTokenReason;
pub(crate) use error::TokenError;
pub use policy::Policy;
pub(crate) use policy::{Model, Target};

use std::sync::Arc;

use cache::VerifiedCache;

use crate::claims::AuthInfo;
use crate::keys::{KeyError, KeyFetchError, KeyStore, VerifyingKey};
use crate::redact::Redacted;
use crate::revocation::{Refusal, Revocations};
use crate::settings::ValidationSettings;

/// The validation core: settings, keys, the verified-token cache and the revocation rules.
#[derive(Debug)]
pub(crate) struct Validator {
    settings: ValidationSettings,
    keys: KeyStore,
    cache: Option<VerifiedCache>,
    revocations: Arc<Revocations>,
}

/// Where an accepted token's verification came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The verified-token cache: verified before, its key still in the key set.
    Cache,
    /// Steps 1-4, the signature verified now.
    Signature,
}

impl Validator {
    pub(crate) fn new(
        settings: ValidationSettings,
        keys: KeyStore,
        revocations: Arc<Revocations>,
    ) -> Self {
        let cache = (settings.verified_cache_bytes > 0)
            .then(|| VerifiedCache::new(settings.verified_cache_bytes));
        Self {
            settings,
            keys,
            cache,
            revocations,
        }
    }

    /// The revocation rules.
    pub(crate) fn revocations(&self) -> &Arc<Revocations> {
        &self.revocations
    }

    /// What the verified-token cache holds and has done, if there is one.
    pub(crate) fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(VerifiedCache::stats)
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

    /// Steps 1-4, then the claims are typed (but not yet judged: see [`Self::decide`]). A
    /// token verified before, whose key is still in the key set, skips them (see `cache`).
    pub(crate) async fn verify(&self, token: &str) -> Result<AuthInfo, TokenError> {
        Ok(self.verify_bytes(token.as_bytes()).await?.0)
    }

    /// [`verify`](Self::verify) for a token as a request carries it: bytes, which a token the
    /// cache holds needs no UTF-8 check for (it was one when it was kept); others are checked
    /// as they are parsed. Says whether the verified-token cache answered.
    pub(crate) async fn verify_bytes(
        &self,
        token: &[u8],
    ) -> Result<(AuthInfo, Origin), TokenError> {
        #[cfg(feature = "metrics")]
        let started = std::time::Instant::now();
        let result = self.verify_cached(token).await;
        #[cfg(feature = "metrics")]
        crate::telemetry::validation(started.elapsed());
        result
    }

    async fn verify_cached(&self, bytes: &[u8]) -> Result<(AuthInfo, Origin), TokenError> {
        let text = || std::str::from_utf8(bytes).map_err(|_| InvalidTokenReason::Malformed);
        // The signature's path, boxed: the future of a cache hit stays small (it is moved
        // into every request's handler future).
        let Some(cache) = &self.cache else {
            return Ok((
                Box::pin(self.verify_signature(text()?)).await?.0,
                Origin::Signature,
            ));
        };
        if let Some(entry) = cache.get(bytes) {
            if self.keys.still_holds(&entry.key) {
                cache.hit();
                return Ok((entry.info, Origin::Cache));
            }
            // Its key was dropped, or no usable key set is loaded: verify afresh, which
            // answers as for any token of that key.
            cache.miss(bytes, true);
        } else {
            cache.miss(bytes, false);
        }
        let token = text()?;
        let (info, key) = Box::pin(self.verify_signature(token)).await?;
        if rules::worth_caching(&self.settings, &info) {
            cache.insert(token, info.clone(), key);
        }
        Ok((info, Origin::Signature))
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
        let hierarchy = &self.settings.scope_hierarchy;
        Ok((payload::auth_info(claims, hierarchy)?, key))
    }

    /// The one decision, for a token whose signature verified (or that the verified-token
    /// cache holds): whether it suffices for `policy`, each rule in this order, every time —
    /// step 5 for the policy's model (issuer, time, audience, allowed clients, no
    /// organization-level token on a global route), the revocation rules, the custom claims
    /// the caller reads, the organization rule, the scopes (step 6), the claim check. Returns
    /// the organization the token is for (the organization models only).
    pub(crate) fn decide(
        &self,
        info: &AuthInfo,
        policy: &Policy<'_>,
    ) -> Result<Option<String>, TokenError> {
        rules::check_claims(&self.settings, info, policy.model)?;
        self.revocations
            .check(info)
            .map_err(|refusal| match refusal {
                Refusal::Revoked => TokenError::Invalid(InvalidTokenReason::Revoked),
                Refusal::Unavailable => TokenError::RevocationsUnavailable,
            })?;
        if policy.claims.is_some_and(|reads| !reads(info)) {
            return Err(InvalidTokenReason::InvalidClaims.into());
        }
        let org = match policy.model {
            Model::Global => None,
            Model::Org | Model::OrgApi => {
                Some(rules::organization(info, policy.model, policy.org)?)
            }
        };
        if !policy.scopes.is_satisfied_by(info.scopes()) {
            return Err(TokenError::InsufficientScope {
                any_of: policy.scopes.any_of,
            });
        }
        if let Some(check) = policy.check
            && !(check.passes)(info)
        {
            return Err(TokenError::ClaimCheckFailed {
                description: check.description,
            });
        }
        Ok(org)
    }

    /// Steps 1-4 and the decision: what every entry point outside a request runs.
    pub(crate) async fn authorize(
        &self,
        token: &str,
        policy: &Policy<'_>,
    ) -> Result<AuthInfo, TokenError> {
        let info = self.verify(token).await?;
        self.decide(&info, policy)?;
        Ok(info)
    }
}
