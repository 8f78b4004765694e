//! Where a request names the organization it targets: [`OrgSource`] and its implementations.

use std::future::Future;
use std::marker::PhantomData;

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use http::request::Parts;

use crate::error::AuthError;

/// Where a request names the organization it targets; the `O` of
/// [`OrgToken`](crate::OrgToken) and [`OrgApiToken`](crate::OrgApiToken).
///
/// `State` is the router's state, so a source can look things up (a database pool, a cache).
/// The source runs only for a token whose signature verified, and its error is answered
/// after the token's own rules (a bad token is answered 401 first). Implement it for your own
/// source (a subdomain, a cookie, a lookup):
///
/// ```
/// use axum_logto::{AuthError, OrgSource};
/// use http::request::Parts;
///
/// /// The organization is the first label of the host name: `acme.example.com`.
/// struct OrgFromSubdomain;
///
/// impl<State: Send + Sync> OrgSource<State> for OrgFromSubdomain {
///     async fn org_id(parts: &mut Parts, _: &State) -> Result<Option<String>, AuthError> {
///         let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
///         match host.and_then(|h| h.split('.').next()).filter(|s| !s.is_empty()) {
///             Some(label) => Ok(Some(label.to_owned())),
///             None => Err(AuthError::MissingOrg),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an organization source",
    label = "not an `OrgSource`",
    note = "use `OrgFromPath` (the `{{org_id}}` path parameter), `OrgFromHeader`, `AnyOrg`, or implement `axum_logto::OrgSource` for `{Self}`"
)]
pub trait OrgSource<State>: Send + Sync + 'static {
    /// The organization id the request targets, or `None` to accept the token's own
    /// organization without a request-side check (as [`AnyOrg`] does).
    ///
    /// Return [`AuthError::MissingOrg`] (400) when the request should name one but does not.
    fn org_id(
        parts: &mut Parts,
        state: &State,
    ) -> impl Future<Output = Result<Option<String>, AuthError>> + Send;
}

/// A name known at compile time: the path parameter of [`OrgFromPath`] or the header of
/// [`OrgFromHeader`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a parameter name",
    note = "declare one: `struct TenantParam; impl axum_logto::ParamName for TenantParam {{ const NAME: &'static str = \"tenant\"; }}`"
)]
pub trait ParamName: Send + Sync + 'static {
    /// The name.
    const NAME: &'static str;
}

/// The path parameter `org_id`: the default of [`OrgFromPath`] (never named by users).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct OrgIdParam;

impl ParamName for OrgIdParam {
    const NAME: &'static str = "org_id";
}

/// The header `x-organization-id`: the default of [`OrgFromHeader`] (never named by users).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct OrgIdHeader;

impl ParamName for OrgIdHeader {
    const NAME: &'static str = "x-organization-id";
}

/// The organization is the path parameter `N` (default `org_id`, as in
/// `/orgs/{org_id}/members`).
///
/// To read another parameter, name it with [`ParamName`]:
///
/// ```
/// use axum_logto::{OrgFromPath, OrgToken, ParamName};
///
/// struct TenantParam;
/// impl ParamName for TenantParam {
///     const NAME: &'static str = "tenant";
/// }
///
/// // route: "/tenants/{tenant}/members"
/// async fn members(org: OrgToken<OrgFromPath<TenantParam>>) -> String {
///     org.org_id().to_owned()
/// }
/// ```
///
/// The value is percent-decoded and compared exactly (organization ids are case-sensitive).
/// An empty value, or one that does not decode to UTF-8 (`/orgs/%FF/members`), is the
/// client's fault: 400 [`AuthError::MissingOrg`], logged at `debug`. A route without
/// that parameter is the server's: 500 [`AuthError::MisconfiguredRoute`], logged at `error`
/// once per route.
#[derive(Debug, Clone, Copy)]
pub struct OrgFromPath<N = OrgIdParam>(PhantomData<fn() -> N>);

impl<N: ParamName, State: Send + Sync> OrgSource<State> for OrgFromPath<N> {
    async fn org_id(parts: &mut Parts, _: &State) -> Result<Option<String>, AuthError> {
        let params = match RawPathParams::from_request_parts(parts, &()).await {
            Ok(params) => params,
            Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
                tracing::debug!(
                    param = N::NAME,
                    "the path parameter does not decode to UTF-8"
                );
                return Err(AuthError::MissingOrg);
            }
            Err(_) => return Err(misconfigured::<N>(parts)),
        };
        match params.iter().find(|(name, _)| *name == N::NAME) {
            Some((_, id)) if !id.is_empty() => Ok(Some(id.to_owned())),
            Some(_) => Err(AuthError::MissingOrg),
            None => Err(misconfigured::<N>(parts)),
        }
    }
}

/// `OrgFromPath<N>` on a route without `{N}`: logs at `error` the first time for each route
/// (the route is fixed, so one line says it all), and answers 500.
fn misconfigured<N: ParamName>(parts: &Parts) -> AuthError {
    static LOGGED: Mutex<BTreeSet<(String, &'static str)>> = Mutex::new(BTreeSet::new());
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("<unknown route>", MatchedPath::as_str);
    let first = LOGGED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((route.to_owned(), N::NAME));
    if first {
        tracing::error!(
            route,
            param = N::NAME,
            "OrgFromPath is used on a route without this path parameter; requests get 500"
        );
    }
    AuthError::MisconfiguredRoute
}

/// The organization is the value of header `N` (default `x-organization-id`). A missing or
/// empty header is 400 [`AuthError::MissingOrg`].
#[derive(Debug, Clone, Copy)]
pub struct OrgFromHeader<N = OrgIdHeader>(PhantomData<fn() -> N>);

impl<N: ParamName, State: Send + Sync> OrgSource<State> for OrgFromHeader<N> {
    async fn org_id(parts: &mut Parts, _: &State) -> Result<Option<String>, AuthError> {
        let mut values = parts.headers.get_all(N::NAME).iter();
        match (values.next().and_then(|v| v.to_str().ok()), values.next()) {
            (Some(id), None) if !id.trim().is_empty() => Ok(Some(id.trim().to_owned())),
            _ => Err(AuthError::MissingOrg),
        }
    }
}

/// No request-side check: any organization the token is for; read it with
/// `org_id()`. (Logto puts one organization in an organization token's audience;
/// should a token carry several, the first is the one reported.)
#[derive(Debug, Clone, Copy)]
pub struct AnyOrg;

impl<State: Send + Sync> OrgSource<State> for AnyOrg {
    async fn org_id(_: &mut Parts, _: &State) -> Result<Option<String>, AuthError> {
        Ok(None)
    }
}
