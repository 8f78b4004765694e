//! The Axum extractors: [`Auth`], [`RequireScopes`], [`RequireClaims`], [`OrgToken`],
//! [`OrgApiToken`].
//!
//! They are thin adapters over the validation core: the bearer token is read from the request,
//! verified once per request (two extractors in one handler verify the signature once: the
//! second finds the token in the verified-token cache, or, for a refused token or with that
//! cache off, in the request's extensions), and the audience, organization and scope rules of
//! each extractor are applied to that result.

mod global;
mod org;
mod source;

use std::sync::Arc;

use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::credentials::bearer_token;
pub use global::{Auth, RequireClaims, RequireScopes};
pub use org::{OrgApiToken, OrgToken};
pub use source::{
    AnyOrg, OrgFromHeader, OrgFromPath, OrgIdHeader, OrgIdParam, OrgSource, ParamName,
};

use crate::claims::AuthInfo;
use crate::error::AuthError;
use crate::scope::ScopeSet;
use crate::state::LogtoState;
use crate::telemetry;
use crate::token::{InvalidTokenReason, Model, TokenError, organization};

/// The verified (signature-checked, typed) token of this request, kept in its extensions.
/// It holds the token it was made from: if a middleware replaces the `Authorization` header
/// between two extractors, the new token is verified afresh.
#[derive(Clone)]
struct Verified {
    state_id: u64,
    token: Box<str>,
    result: Result<AuthInfo, TokenError>,
}

/// What every extractor holds once its rules passed.
pub(crate) struct Granted<C> {
    pub(crate) info: AuthInfo,
    /// The organization the token is for; `Some` for the organization extractors.
    org_id: Option<String>,
    /// The token's custom claims read as `C`.
    custom: Arc<C>,
}

impl<C> Clone for Granted<C> {
    fn clone(&self) -> Self {
        Self {
            info: self.info.clone(),
            org_id: self.org_id.clone(),
            custom: self.custom.clone(),
        }
    }
}

/// The one path of every extractor: steps 1-4 once per request and state (see [`Verified`]),
/// step 5 for `model`, the custom claims `C` (a claim of the wrong type is a 401 like any
/// other), then for the organization models the organization the request targets (read from
/// `O` only after the token passed, so a bad token answers 401 first), then the scopes `S`.
///
/// `check` is the extractor's last rule ([`pass`] for most). The outcome is counted by the
/// metrics (feature `metrics`): every refusal, and one acceptance per request.
pub(crate) async fn grant<St, O, S, C>(
    parts: &mut Parts,
    logto: &LogtoState,
    state: &St,
    model: Model,
    check: fn(&Granted<C>) -> Result<(), AuthError>,
) -> Result<Granted<C>, AuthError>
where
    O: OrgSource<St>,
    S: ScopeSet,
    C: DeserializeOwned + Send + Sync + 'static,
{
    let result = decide::<St, O, S, C>(parts, logto, state, model)
        .await
        .and_then(|granted| check(&granted).map(|()| granted));
    match &result {
        Err(error) => telemetry::refused(error.reason()),
        #[cfg(feature = "metrics")]
        Ok(_) => {
            /// Marks a request whose acceptance was counted.
            #[derive(Clone)]
            struct Counted;
            if parts.extensions.insert(Counted).is_none() {
                telemetry::accepted();
            }
        }
        #[cfg(not(feature = "metrics"))]
        Ok(_) => {}
    }
    result
}

/// What [`grant`] decides, before the extractor's own check.
async fn decide<St, O, S, C>(
    parts: &mut Parts,
    logto: &LogtoState,
    state: &St,
    model: Model,
) -> Result<Granted<C>, AuthError>
where
    O: OrgSource<St>,
    S: ScopeSet,
    C: DeserializeOwned + Send + Sync + 'static,
{
    let reject = |error: TokenError| AuthError::from_token(error, S::required());
    // The header is read every time, so that every extractor sees duplicate credentials (400)
    // and a header replaced by a middleware.
    let token = bearer_token(parts, logto.token_sources())?;
    let cached = parts
        .extensions
        .get::<Verified>()
        .filter(|v| v.state_id == logto.id() && *v.token == *token)
        .map(|v| v.result.clone());
    let info = match cached {
        Some(result) => result.map_err(reject)?,
        None => {
            let validator = logto.validator();
            let result = validator.verify(&token).await;
            // A later extractor finds an accepted token in the verified-token cache at the
            // cost of a lookup, cheaper than this record (a map and a copy of the token); a
            // refused one is not cached there, and without that cache nothing is.
            if result.is_err() || !validator.caches_verified_tokens() {
                let token: Box<str> = token.as_ref().into();
                parts.extensions.insert(Verified {
                    state_id: logto.id(),
                    token,
                    result: result.clone(),
                });
            }
            result.map_err(reject)?
        }
    };
    logto.validator().check(&info, model).map_err(reject)?;
    let custom = info
        .custom_claims::<C>()
        .map_err(|_| AuthError::InvalidToken(InvalidTokenReason::InvalidClaims))?;
    let org_id = match model {
        Model::Global => None,
        Model::Organization | Model::OrganizationResource => {
            let wanted = O::org_id(parts, state).await?;
            let found = organization(&info, model, wanted.as_deref());
            Some(found.map_err(reject)?)
        }
    };
    S::check(info.scopes())?;
    Ok(Granted {
        info,
        org_id,
        custom,
    })
}

/// No check beyond the extractor's rules.
pub(crate) fn pass<C>(_: &Granted<C>) -> Result<(), AuthError> {
    Ok(())
}

/// `None` when the request carries no bearer token; otherwise the extractor's own outcome.
async fn optional<T, S>(
    parts: &mut Parts,
    state: &S,
) -> Result<Option<T>, crate::rejection::AuthRejection>
where
    T: axum::extract::FromRequestParts<S, Rejection = crate::rejection::AuthRejection>,
    LogtoState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    let logto = <LogtoState as axum::extract::FromRef<S>>::from_ref(state);
    if bearer_token(parts, logto.token_sources()) == Err(AuthError::MissingToken) {
        return Ok(None);
    }
    T::from_request_parts(parts, state).await.map(Some)
}

/// What the extractors share: the accessors, `Deref` to [`AuthInfo`], `Debug`, `Clone`, and
/// `FromRequestParts` / `OptionalFromRequestParts` through [`grant`] with the extractor's
/// permission model, organization source, scopes and custom claims, then its `check`.
macro_rules! extractor {
    (
        $name:ident <$($param:ident $(: $pbound:path)?),*>,
        custom: $custom:ty, model: $model:ident, org: $org:ty, scopes: $scopes:ty,
        check: $check:expr,
        where $($bounds:tt)*
    ) => {
        impl<$($param $(: $pbound)?),*> $name<$($param),*> {
            fn from_granted(granted: $crate::extract::Granted<$custom>) -> Self {
                Self {
                    granted,
                    _marker: ::std::marker::PhantomData,
                }
            }

            /// What the token says.
            pub fn info(&self) -> &$crate::AuthInfo {
                &self.granted.info
            }

            /// Consumes the extractor, returning what the token says.
            pub fn into_info(self) -> $crate::AuthInfo {
                self.granted.info
            }

            /// The token's custom claims, read once per token (see
            /// [`AuthInfo::custom_claims`](crate::AuthInfo::custom_claims)).
            pub fn custom(&self) -> &$custom {
                &self.granted.custom
            }
        }

        impl<$($param $(: $pbound)?),*> ::std::ops::Deref for $name<$($param),*> {
            type Target = $crate::AuthInfo;
            fn deref(&self) -> &$crate::AuthInfo {
                &self.granted.info
            }
        }

        impl<$($param $(: $pbound)?),*> ::std::fmt::Debug for $name<$($param),*> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut debug = f.debug_struct(stringify!($name));
                if let Some(org_id) = &self.granted.org_id {
                    debug.field("org_id", org_id);
                }
                debug.field("info", &self.granted.info).finish_non_exhaustive()
            }
        }

        impl<$($param $(: $pbound)?),*> Clone for $name<$($param),*> {
            fn clone(&self) -> Self {
                Self::from_granted(self.granted.clone())
            }
        }

        impl<St, $($param $(: $pbound)?),*> ::axum::extract::FromRequestParts<St> for $name<$($param),*>
        where
            $crate::LogtoState: ::axum::extract::FromRef<St>,
            St: Send + Sync,
            $($bounds)*
        {
            type Rejection = $crate::AuthRejection;

            async fn from_request_parts(
                parts: &mut ::http::request::Parts,
                state: &St,
            ) -> Result<Self, Self::Rejection> {
                let logto = <$crate::LogtoState as ::axum::extract::FromRef<St>>::from_ref(state);
                let model = $crate::token::Model::$model;
                $crate::extract::grant::<St, $org, $scopes, $custom>(parts, &logto, state, model, $check)
                    .await
                    .map(Self::from_granted)
                    .map_err(|error| logto.reject_for(error, <$scopes as $crate::ScopeSet>::required()))
            }
        }

        impl<St, $($param $(: $pbound)?),*> ::axum::extract::OptionalFromRequestParts<St> for $name<$($param),*>
        where
            $crate::LogtoState: ::axum::extract::FromRef<St>,
            St: Send + Sync,
            $($bounds)*
        {
            type Rejection = $crate::AuthRejection;

            async fn from_request_parts(
                parts: &mut ::http::request::Parts,
                state: &St,
            ) -> Result<Option<Self>, Self::Rejection> {
                $crate::extract::optional(parts, state).await
            }
        }
    };
}

use extractor;
