//! The request side of the one decision, shared by every extractor and the layer: the bearer
//! token read once, verified once per request, the organization the request targets, the
//! [`Policy`], the outcome counted once per request, and the rejection.

use std::sync::Arc;

use http::HeaderValue;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::OrgSource;
use crate::claims::AuthInfo;
use crate::credentials::{Bearer, Place, bearer_token};
use crate::error::AuthError;
use crate::rejection::AuthRejection;
use crate::state::LogtoState;
use crate::telemetry;
use crate::token::{InvalidTokenReason, Origin, Policy, Target, TokenError};

/// What a request was granted: the verified token, the organization it was granted for (the
/// organization models), and its custom claims read as `C`.
pub(crate) struct Granted<C> {
    pub(crate) info: AuthInfo,
    pub(crate) org_id: Option<String>,
    pub(crate) custom: Arc<C>,
    /// Where the token was (the layer marks answers to query and cookie tokens private).
    pub(crate) place: Place,
}

impl<C> Clone for Granted<C> {
    fn clone(&self) -> Self {
        Self {
            info: self.info.clone(),
            org_id: self.org_id.clone(),
            custom: self.custom.clone(),
            place: self.place,
        }
    }
}

/// The token a [`Verified`] record was made from, held cheaply: the `Authorization` header's
/// value (a reference-counted buffer), or a copy of a cookie or query token.
#[derive(Clone)]
enum Held {
    Header(HeaderValue),
    Copy(Box<[u8]>),
}

/// Steps 1-4 of this request's token for one state, kept in the request's extensions for every
/// outcome the verified-token cache does not hold: a second extractor (or an extractor behind
/// the layer) reuses it instead of verifying again. It holds the token it was made from, so
/// that a token replaced by a middleware between two extractors is verified afresh.
///
/// An outcome the cache answered is not recorded: a later reader finds it there again with a
/// lookup, and the record (a boxed value in the request's extension map, which usually grows
/// for it) would cost every request about twice that lookup (benches/instructions-results.txt).
/// The signature of a token is thus verified at most once per request either way.
#[derive(Clone)]
struct Verified {
    state_id: u64,
    token: Held,
    result: Result<AuthInfo, TokenError>,
}

/// Marks a request whose acceptance was counted (metrics: one per request).
#[cfg(feature = "metrics")]
#[derive(Clone, Copy)]
struct Counted;

impl Verified {
    fn holds(&self, state_id: u64, bearer: &Bearer<'_>) -> bool {
        self.state_id == state_id
            && match (&self.token, bearer.header) {
                (Held::Header(value), Some(header)) => header == value,
                (Held::Copy(token), None) => **token == *bearer.token,
                _ => false,
            }
    }
}

/// The one path of every extractor and of the layer.
///
/// 1. The bearer token, read once: with `optional`, a request without one is `Ok(None)`.
/// 2. Steps 1-4, the signature verified at most once per request and state (see [`Verified`]).
/// 3. For the organization models, the organization the request targets, read from `O` only
///    for a token whose signature verified; an error of `O` is answered after the token's own
///    rules, so that a bad token answers 401 first.
/// 4. The decision for `policy` ([`Validator::decide`](crate::token::Validator)).
/// 5. The outcome counted (metrics: every refusal, one acceptance per request), the custom
///    claims `C` taken from the token (read by the decision), or the rejection, naming the
///    policy's scopes.
pub(crate) async fn grant<St, O, C>(
    parts: &mut Parts,
    logto: &LogtoState,
    state: &St,
    policy: &Policy<'static>,
    optional: bool,
) -> Result<Option<Granted<C>>, AuthRejection>
where
    O: OrgSource<St>,
    C: DeserializeOwned + Send + Sync + 'static,
{
    let reject = |error: AuthError| {
        telemetry::refused(error.name());
        logto.reject_required(error, policy.required_scopes())
    };
    let (verified, place) = match bearer_token(parts, logto.token_sources()) {
        Ok(bearer) => {
            let place = bearer.place;
            let recorded = parts
                .extensions
                .get::<Verified>()
                .filter(|record| record.holds(logto.id(), &bearer))
                .map(|record| record.result.clone());
            match recorded {
                Some(result) => (result, place),
                None => match logto.validator().verify_bytes(&bearer.token).await {
                    Ok((info, Origin::Cache)) => (Ok(info), place),
                    outcome => {
                        let result = outcome.map(|(info, _)| info);
                        parts.extensions.insert(Verified {
                            state_id: logto.id(),
                            token: held(&bearer),
                            result: result.clone(),
                        });
                        (result, place)
                    }
                },
            }
        }
        Err(AuthError::MissingToken) if optional => return Ok(None),
        Err(error) => return Err(reject(error)),
    };
    let info = verified.map_err(|error| reject(error.into()))?;
    let source = match policy.targets_org() {
        true => Some(O::org_id(parts, state).await),
        false => None,
    };
    let target = match &source {
        None | Some(Ok(None)) => Target::Any,
        Some(Ok(Some(id))) => Target::Id(id),
        Some(Err(_)) => Target::Unresolved,
    };
    let org_id = match logto.validator().decide(&info, &policy.targeting(target)) {
        Ok(org_id) => org_id,
        Err(TokenError::OrgUnresolved) => {
            let error = match source {
                Some(Err(error)) => error,
                // `Unresolved` comes only from a source that failed.
                _ => AuthError::MissingOrg,
            };
            return Err(reject(error));
        }
        Err(error) => return Err(reject(error.into())),
    };
    // Read by the decision (the policy's claims) and kept with the token: a lookup.
    let custom = info
        .custom_claims::<C>()
        .map_err(|_| reject(AuthError::InvalidToken(InvalidTokenReason::InvalidClaims)))?;
    count_acceptance(parts);
    Ok(Some(Granted {
        info,
        org_id,
        custom,
        place,
    }))
}

/// The token of `bearer`, held for its [`Verified`] record.
fn held(bearer: &Bearer<'_>) -> Held {
    match bearer.header {
        Some(value) => Held::Header(value.clone()),
        None => Held::Copy(bearer.token.as_ref().into()),
    }
}

/// Counts this request's acceptance, once however many extractors accept it (feature
/// `metrics`).
fn count_acceptance(parts: &mut Parts) {
    #[cfg(feature = "metrics")]
    if parts.extensions.insert(Counted).is_none() {
        telemetry::accepted();
    }
    #[cfg(not(feature = "metrics"))]
    let _ = parts;
}
