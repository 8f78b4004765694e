//! The extractors for global API resources: [`Auth`], [`RequireScopes`] and [`RequireCheck`].

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{AnyOrg, Granted, extractor};
use crate::check::ClaimCheck;
use crate::claims::NoClaims;
use crate::scope::ScopeSet;
use crate::token::Policy;

/// Any valid access token for this API: its `aud` holds a configured resource indicator, and
/// it carries no `organization_id` (an organization-level token is 403 here; see
/// [`OrgApiToken`](crate::OrgApiToken)).
///
/// Derefs to [`AuthInfo`](crate::AuthInfo). `Option<Auth>` is `None` only when the request
/// has no bearer token (no `Authorization` header, or one of another scheme such as
/// `DPoP …`); a present but invalid token is still rejected. `C` reads the token's
/// custom claims ([`custom`](Self::custom); default: none), once per token: a claim of the
/// wrong type for `C` is 401 `invalid_token`.
///
/// ```
/// use axum::{routing::get, Json, Router};
/// use axum_logto::{Auth, AuthInfo, LogtoState};
///
/// async fn me(auth: Auth) -> Json<AuthInfo> {
///     Json(auth.into_info())
/// }
///
/// async fn maybe(auth: Option<Auth>) -> String {
///     match auth {
///         Some(auth) => format!("hello {}", auth.sub()),
///         None => "hello stranger".to_owned(),
///     }
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/me", get(me))
///     .route("/maybe", get(maybe))
///     .with_state(logto);
/// ```
///
/// With custom claims:
///
/// ```
/// use axum_logto::Auth;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Plan {
///     #[serde(default)]
///     plan: String,
/// }
///
/// async fn billing(auth: Auth<Plan>) -> String {
///     format!("{} is on the {} plan", auth.sub(), auth.custom().plan)
/// }
/// ```
pub struct Auth<C = NoClaims> {
    granted: Granted<C>,
    _marker: PhantomData<fn() -> C>,
}

extractor!(
    Auth<C>,
    custom: C, org: AnyOrg, policy: Policy::global().claims::<C>(),
    where C: DeserializeOwned + Send + Sync + 'static,
);

/// A valid access token for this API that grants the scopes `S` (and, like [`Auth`], carries
/// no `organization_id`; `C` reads its custom claims).
///
/// `S` is a scope marker declared with [`scopes!`](crate::scopes), a tuple of markers (all of
/// them), or [`AnyOf`](crate::AnyOf) (at least one). A token for another audience is 401
/// `invalid_token`; a valid token without the scopes is 403 `insufficient_scope` with
/// `scope="…"` naming them. Derefs to [`AuthInfo`](crate::AuthInfo).
///
/// ```
/// use axum::{routing::{delete, get}, Router};
/// use axum_logto::{scopes, AnyOf, LogtoState, RequireScopes};
///
/// scopes! {
///     pub ReadDocs = "read:docs";
///     pub WriteDocs = "write:docs";
///     pub DeleteDocs = "delete:docs";
///     pub Admin = "admin";
/// }
///
/// async fn list(auth: RequireScopes<ReadDocs>) -> String {
///     format!("docs of {}", auth.sub())
/// }
/// async fn create(_: RequireScopes<(ReadDocs, WriteDocs)>) {}
/// async fn remove(_: RequireScopes<AnyOf<(DeleteDocs, Admin)>>) {}
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/docs", get(list).post(create))
///     .route("/docs/{id}", delete(remove))
///     .with_state(logto);
/// ```
pub struct RequireScopes<S, C = NoClaims> {
    granted: Granted<C>,
    _marker: PhantomData<fn() -> (S, C)>,
}

extractor!(
    RequireScopes<S, C>,
    custom: C, org: AnyOrg, policy: Policy::global().scopes::<S>().claims::<C>(),
    where S: ScopeSet, C: DeserializeOwned + Send + Sync + 'static,
);

/// A valid access token for this API that passes the claim check `K` (as [`Auth`] otherwise):
/// a rule on the token's claims stated in the handler's signature, such as "the roles contain
/// admin" or "a machine-to-machine token". A token that fails it gets 403
/// `insufficient_scope` with `K`'s description. [`custom`](Self::custom) returns the custom
/// claims `K` read.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_logto::{LogtoState, MachineOnly, RequireCheck, UserOnly};
///
/// async fn jobs(machine: RequireCheck<MachineOnly>) -> String {
///     format!("jobs of {}", machine.sub())
/// }
/// async fn profile(user: RequireCheck<UserOnly>) -> String {
///     format!("profile of {}", user.sub())
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/jobs", get(jobs))
///     .route("/profile", get(profile))
///     .with_state(logto);
/// ```
///
/// See [`ClaimCheck`] for a check of your own.
pub struct RequireCheck<K: ClaimCheck> {
    granted: Granted<K::Claims>,
    _marker: PhantomData<fn() -> K>,
}

extractor!(
    RequireCheck<K: ClaimCheck>,
    custom: K::Claims, org: AnyOrg, policy: Policy::global().check::<K>(),
    where K: ClaimCheck,
);
