//! The Axum extractors: [`Auth`], [`RequireScopes`], [`RequireCheck`], [`OrgToken`],
//! [`OrgApiToken`].
//!
//! They are thin adapters over the one decision: each states its [`Policy`](crate::Policy) in
//! its type, and `grant` reads the bearer token once, verifies it once per request (two
//! extractors in one handler, or an extractor behind the layer, verify the signature once: the
//! second finds the outcome in the request's extensions, whatever it was), and decides.

mod caller;
mod global;
mod grant;
mod org;
mod source;

pub use caller::CallerToken;
pub use global::{Auth, RequireCheck, RequireScopes};
pub(crate) use grant::{Granted, grant};
pub use org::{OrgApiToken, OrgToken};
pub use source::{
    AnyOrg, OrgFromHeader, OrgFromPath, OrgIdHeader, OrgIdParam, OrgSource, ParamName,
};

/// What the extractors share: the accessors, `Deref` to [`AuthInfo`](crate::AuthInfo),
/// `Debug`, `Clone`, and `FromRequestParts` / `OptionalFromRequestParts` through [`grant`]
/// with the extractor's organization source, custom claims and policy.
macro_rules! extractor {
    (
        $name:ident <$($param:ident $(: $pbound:path)?),*>,
        custom: $custom:ty, org: $org:ty, policy: $policy:expr,
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
                let policy: $crate::Policy<'static> = $policy;
                match $crate::extract::grant::<St, $org, $custom>(parts, &logto, state, &policy, false).await? {
                    Some(granted) => Ok(Self::from_granted(granted)),
                    // Only an optional grant answers `None`.
                    None => Err(logto.reject_required($crate::AuthError::MissingToken, policy.required_scopes())),
                }
            }
        }

        impl<St, $($param $(: $pbound)?),*> ::axum::extract::OptionalFromRequestParts<St> for $name<$($param),*>
        where
            $crate::LogtoState: ::axum::extract::FromRef<St>,
            St: Send + Sync,
            $($bounds)*
        {
            type Rejection = $crate::AuthRejection;

            /// `None` only when the request carries no bearer token.
            async fn from_request_parts(
                parts: &mut ::http::request::Parts,
                state: &St,
            ) -> Result<Option<Self>, Self::Rejection> {
                let logto = <$crate::LogtoState as ::axum::extract::FromRef<St>>::from_ref(state);
                let policy: $crate::Policy<'static> = $policy;
                let granted = $crate::extract::grant::<St, $org, $custom>(parts, &logto, state, &policy, true).await?;
                Ok(granted.map(Self::from_granted))
            }
        }
    };
}

use extractor;
