//! The organization extractors: [`OrgToken`] and [`OrgApiToken`].

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{Granted, OrgSource, extractor};
use crate::claims::NoClaims;
use crate::scope::ScopeSet;
use crate::token::Policy;

/// An organization token (Logto's organization permissions, not an API resource): `aud` is
/// `urn:logto:organization:<id>`, `<id>` is the organization that `O` reads from the request,
/// and the token grants the organization scopes `S` (default: none); `C` reads its custom
/// claims (default: none).
///
/// - not an organization token at all: 401 `invalid_token`;
/// - an organization token for another organization: 403 `insufficient_scope`;
/// - the right organization without the scopes: 403 `insufficient_scope`, `scope="…"`.
///
/// ```
/// use axum::{routing::{get, post}, Router};
/// use axum_logto::{scopes, AnyOrg, LogtoState, OrgFromPath, OrgToken};
///
/// scopes! {
///     pub ReadMembers = "read:members";
///     pub InviteMembers = "invite:members";
/// }
///
/// async fn members(org: OrgToken<OrgFromPath, ReadMembers>) -> String {
///     format!("members of {}", org.org_id())
/// }
/// async fn invite(_: OrgToken<OrgFromPath, InviteMembers>) {}
/// async fn my_org(org: OrgToken<AnyOrg>) -> String {
///     org.org_id().to_owned()
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .org_tokens_only()
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/orgs/{org_id}/members", get(members))
///     .route("/orgs/{org_id}/invitations", post(invite))
///     .route("/my-org", get(my_org))
///     .with_state(logto);
/// ```
pub struct OrgToken<O, S = (), C = NoClaims> {
    granted: Granted<C>,
    _marker: PhantomData<fn() -> (O, S, C)>,
}

extractor!(
    OrgToken<O, S, C>,
    custom: C, org: O, policy: Policy::org(None).scopes::<S>().claims::<C>(),
    where O: OrgSource<St>, S: ScopeSet, C: DeserializeOwned + Send + Sync + 'static,
);

/// A token for an organization-level API resource: `aud` holds this API's resource indicator,
/// the `organization_id` claim equals the organization that `O` reads from the request, and
/// the token grants the API scopes `S` (default: none); `C` reads its custom claims
/// (default: none).
///
/// - not a token for this API: 401 `invalid_token`;
/// - a token for this API without `organization_id`: 403 `insufficient_scope`, "not for an
///   organization"; for another organization: 403 `insufficient_scope`, "for another
///   organization";
/// - the right organization without the scopes: 403 `insufficient_scope`, `scope="…"`.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_logto::{scopes, LogtoState, OrgApiToken, OrgFromPath};
///
/// scopes! { pub ReadReports = "read:reports"; }
///
/// async fn reports(token: OrgApiToken<OrgFromPath, ReadReports>) -> String {
///     format!("reports of {} for {}", token.org_id(), token.sub())
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/orgs/{org_id}/reports", get(reports))
///     .with_state(logto);
/// ```
pub struct OrgApiToken<O, S = (), C = NoClaims> {
    granted: Granted<C>,
    _marker: PhantomData<fn() -> (O, S, C)>,
}

extractor!(
    OrgApiToken<O, S, C>,
    custom: C, org: O, policy: Policy::org_api(None).scopes::<S>().claims::<C>(),
    where O: OrgSource<St>, S: ScopeSet, C: DeserializeOwned + Send + Sync + 'static,
);

/// The organization accessor of both organization extractors.
macro_rules! org_id_accessor {
    ($($name:ident),*) => {$(
        impl<O, S, C> $name<O, S, C> {
            /// The organization the request was granted for: the one it targets (for
            /// [`AnyOrg`](crate::AnyOrg), the token's own). It stands in front of
            /// [`AuthInfo::org_id`](crate::AuthInfo::org_id), reached through `Deref`, which
            /// says the same of the token without the request.
            pub fn org_id(&self) -> &str {
                // Always `Some` for the organization models: `grant` sets it or refuses.
                self.granted.org_id.as_deref().unwrap_or_default()
            }
        }
    )*};
}

org_id_accessor!(OrgToken, OrgApiToken);
