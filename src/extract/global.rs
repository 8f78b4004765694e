//! The extractors for global API resources: [`Auth`] and [`RequireScopes`].

use std::marker::PhantomData;

use super::{AnyOrg, Granted, extractor};
use crate::scope::ScopeSet;

/// Any valid access token for this API: its `aud` holds a configured resource indicator.
///
/// Derefs to [`AuthInfo`](crate::AuthInfo). `Option<Auth>` is `None` only when the request
/// has no bearer token; a present but invalid token is still rejected.
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
pub struct Auth {
    granted: Granted,
    _marker: PhantomData<fn()>,
}

extractor!(Auth<>, model: Global, org: AnyOrg, scopes: ());

/// A valid access token for this API that grants the scopes `S`.
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
pub struct RequireScopes<S> {
    granted: Granted,
    _marker: PhantomData<fn() -> S>,
}

extractor!(RequireScopes<S>, model: Global, org: AnyOrg, scopes: S, where S: ScopeSet);
