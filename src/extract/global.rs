//! The extractors for global API resources: [`Auth`] and [`RequireScopes`].

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{AnyOrg, Granted, extractor, pass};
use crate::check::{ClaimCheck, is_quotable};
use crate::claims::NoClaims;
use crate::error::AuthError;
use crate::scope::ScopeSet;

/// Any valid access token for this API: its `aud` holds a configured resource indicator, and
/// it carries no `organization_id` (an organization-level token is 403 here; see
/// [`OrgApiToken`](crate::OrgApiToken)).
///
/// Derefs to [`AuthInfo`](crate::AuthInfo). `Option<Auth>` is `None` only when the request
/// has no bearer token; a present but invalid token is still rejected. `C` reads the token's
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
    custom: C, model: Global, org: AnyOrg, scopes: (), check: pass,
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
    custom: C, model: Global, org: AnyOrg, scopes: S, check: pass,
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
/// use axum_logto::{LogtoState, MachineToMachine, RequireClaims, UserToken};
///
/// async fn jobs(machine: RequireClaims<MachineToMachine>) -> String {
///     format!("jobs of {}", machine.sub())
/// }
/// async fn profile(user: RequireClaims<UserToken>) -> String {
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
pub struct RequireClaims<K: ClaimCheck> {
    granted: Granted<K::Claims>,
    _marker: PhantomData<fn() -> K>,
}

extractor!(
    RequireClaims<K: ClaimCheck>,
    custom: K::Claims, model: Global, org: AnyOrg, scopes: (), check: passes::<K>,
    where K: ClaimCheck,
);

/// `K`'s check, as the last rule of [`RequireClaims<K>`].
fn passes<K: ClaimCheck>(granted: &Granted<K::Claims>) -> Result<(), AuthError> {
    const {
        assert!(
            is_quotable(K::DESCRIPTION),
            "a ClaimCheck DESCRIPTION must be printable ASCII without quote or backslash"
        );
    };
    if K::check(&granted.info, &granted.custom) {
        Ok(())
    } else {
        Err(AuthError::ClaimCheckFailed {
            description: K::DESCRIPTION,
        })
    }
}
