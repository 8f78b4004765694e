//! Organization extractors and the sources of the organization a request targets.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts, RawPathParams};
use http::request::Parts;

use super::{authenticate, optional};
use crate::claims::AuthInfo;
use crate::error::AuthError;
use crate::rejection::AuthRejection;
use crate::scope::ScopeSet;
use crate::state::LogtoState;
use crate::validate::AudienceRule;

/// Where a request names the organization it targets; the `O` of [`OrgToken`] and
/// [`OrgApiToken`].
///
/// `S` is the router's state, so a source can look things up (a database pool, a cache).
/// Implement it for your own source (a subdomain, a cookie, a lookup):
///
/// ```
/// use axum_logto::{AuthError, OrganizationSource};
/// use http::request::Parts;
///
/// /// The organization is the first label of the host name: `acme.example.com`.
/// struct OrgFromSubdomain;
///
/// impl<S: Send + Sync> OrganizationSource<S> for OrgFromSubdomain {
///     async fn organization_id(parts: &mut Parts, _: &S) -> Result<Option<String>, AuthError> {
///         let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
///         match host.and_then(|h| h.split('.').next()).filter(|s| !s.is_empty()) {
///             Some(label) => Ok(Some(label.to_owned())),
///             None => Err(AuthError::MissingOrganization),
///         }
///     }
/// }
/// ```
pub trait OrganizationSource<S>: Send + Sync + 'static {
    /// The organization id the request targets, or `None` to accept the token's own
    /// organization without a request-side check (as [`AnyOrg`] does).
    ///
    /// Return [`AuthError::MissingOrganization`] (400) when the request should name one but
    /// does not.
    fn organization_id(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Option<String>, AuthError>> + Send;
}

/// A name known at compile time: the path parameter of [`OrgFromPath`] or the header of
/// [`OrgFromHeader`].
pub trait ParamName: Send + Sync + 'static {
    /// The name.
    const NAME: &'static str;
}

/// The path parameter `org_id`: the default of [`OrgFromPath`].
#[derive(Debug, Clone, Copy)]
pub struct OrgIdParam;

impl ParamName for OrgIdParam {
    const NAME: &'static str = "org_id";
}

/// The header `x-organization-id`: the default of [`OrgFromHeader`].
#[derive(Debug, Clone, Copy)]
pub struct OrganizationIdHeader;

impl ParamName for OrganizationIdHeader {
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
///     org.organization_id().to_owned()
/// }
/// ```
///
/// A route without that parameter is a programming error: it is logged at `error` and the
/// request gets 400 [`AuthError::MissingOrganization`].
#[derive(Debug, Clone, Copy)]
pub struct OrgFromPath<N = OrgIdParam>(PhantomData<fn() -> N>);

impl<N: ParamName, S: Send + Sync> OrganizationSource<S> for OrgFromPath<N> {
    async fn organization_id(parts: &mut Parts, _: &S) -> Result<Option<String>, AuthError> {
        let params = RawPathParams::from_request_parts(parts, &()).await.ok();
        let value = params.as_ref().and_then(|params| {
            params
                .iter()
                .find(|(name, _)| *name == N::NAME)
                .map(|(_, v)| v)
        });
        match value {
            Some(id) if !id.is_empty() => Ok(Some(id.to_owned())),
            Some(_) => Err(AuthError::MissingOrganization),
            None => {
                tracing::error!(
                    param = N::NAME,
                    "OrgFromPath is used on a route without this path parameter"
                );
                Err(AuthError::MissingOrganization)
            }
        }
    }
}

/// The organization is the value of header `N` (default `x-organization-id`). A missing or
/// empty header is 400 [`AuthError::MissingOrganization`].
#[derive(Debug, Clone, Copy)]
pub struct OrgFromHeader<N = OrganizationIdHeader>(PhantomData<fn() -> N>);

impl<N: ParamName, S: Send + Sync> OrganizationSource<S> for OrgFromHeader<N> {
    async fn organization_id(parts: &mut Parts, _: &S) -> Result<Option<String>, AuthError> {
        let mut values = parts.headers.get_all(N::NAME).iter();
        match (values.next().and_then(|v| v.to_str().ok()), values.next()) {
            (Some(id), None) if !id.trim().is_empty() => Ok(Some(id.trim().to_owned())),
            _ => Err(AuthError::MissingOrganization),
        }
    }
}

/// No request-side check: any organization the token is for; read it with
/// `organization_id()`. (Logto puts one organization in an organization token's audience;
/// should a token carry several, the first is the one reported.)
#[derive(Debug, Clone, Copy)]
pub struct AnyOrg;

impl<S: Send + Sync> OrganizationSource<S> for AnyOrg {
    async fn organization_id(_: &mut Parts, _: &S) -> Result<Option<String>, AuthError> {
        Ok(None)
    }
}

macro_rules! organization_extractor_common {
    ($name:ident) => {
        impl<O, S> $name<O, S> {
            /// The organization the token is for (and the request targets).
            pub fn organization_id(&self) -> &str {
                &self.organization_id
            }

            /// What the token says.
            pub fn info(&self) -> &AuthInfo {
                &self.info
            }

            /// Consumes the extractor, returning what the token says.
            pub fn into_info(self) -> AuthInfo {
                self.info
            }
        }

        impl<O, S> Deref for $name<O, S> {
            type Target = AuthInfo;
            fn deref(&self) -> &AuthInfo {
                &self.info
            }
        }

        impl<O, S> std::fmt::Debug for $name<O, S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("organization_id", &self.organization_id)
                    .field("info", &self.info)
                    .finish()
            }
        }

        impl<O, S> Clone for $name<O, S> {
            fn clone(&self) -> Self {
                Self {
                    info: self.info.clone(),
                    organization_id: self.organization_id.clone(),
                    _marker: PhantomData,
                }
            }
        }

        impl<St, O, S> FromRequestParts<St> for $name<O, S>
        where
            LogtoState: FromRef<St>,
            St: Send + Sync,
            O: OrganizationSource<St>,
            S: ScopeSet,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &St,
            ) -> Result<Self, Self::Rejection> {
                let logto = LogtoState::from_ref(state);
                Self::extract(parts, &logto, state)
                    .await
                    .map_err(|error| logto.reject(error))
            }
        }

        impl<St, O, S> OptionalFromRequestParts<St> for $name<O, S>
        where
            LogtoState: FromRef<St>,
            St: Send + Sync,
            O: OrganizationSource<St>,
            S: ScopeSet,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &St,
            ) -> Result<Option<Self>, Self::Rejection> {
                optional(parts, state).await
            }
        }
    };
}

/// An organization token (Logto's organization permissions, not an API resource): `aud` is
/// `urn:logto:organization:<id>`, `<id>` is the organization that `O` reads from the request,
/// and the token grants the organization scopes `S` (default: none).
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
///     format!("members of {}", org.organization_id())
/// }
/// async fn invite(_: OrgToken<OrgFromPath, InviteMembers>) {}
/// async fn my_org(org: OrgToken<AnyOrg>) -> String {
///     org.organization_id().to_owned()
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .organization_tokens_only()
///     .build()
///     .unwrap();
/// let app: Router = Router::new()
///     .route("/orgs/{org_id}/members", get(members))
///     .route("/orgs/{org_id}/invitations", post(invite))
///     .route("/my-org", get(my_org))
///     .with_state(logto);
/// ```
pub struct OrgToken<O, S = ()> {
    info: AuthInfo,
    organization_id: String,
    _marker: PhantomData<fn() -> (O, S)>,
}

organization_extractor_common!(OrgToken);

impl<O, S: ScopeSet> OrgToken<O, S> {
    async fn extract<St>(
        parts: &mut Parts,
        logto: &LogtoState,
        state: &St,
    ) -> Result<Self, AuthError>
    where
        O: OrganizationSource<St>,
    {
        let info = authenticate(parts, logto, AudienceRule::Organization).await?;
        let organization_id = match O::organization_id(parts, state).await? {
            Some(wanted) if info.has_organization_audience(&wanted) => wanted,
            Some(_) => {
                return Err(AuthError::WrongOrganization {
                    required: S::required(),
                });
            }
            // `AudienceRule::Organization` guarantees one organization audience.
            None => info
                .audience_organization_id()
                .ok_or(AuthError::WrongOrganization {
                    required: S::required(),
                })?
                .to_owned(),
        };
        S::check(info.scopes())?;
        Ok(Self {
            info,
            organization_id,
            _marker: PhantomData,
        })
    }
}

/// A token for an organization-level API resource: `aud` holds this API's resource indicator,
/// the `organization_id` claim equals the organization that `O` reads from the request, and
/// the token grants the API scopes `S` (default: none).
///
/// - not a token for this API: 401 `invalid_token`;
/// - a token for this API without `organization_id`, or for another organization: 403
///   `insufficient_scope`;
/// - the right organization without the scopes: 403 `insufficient_scope`, `scope="…"`.
///
/// ```
/// use axum::{routing::get, Router};
/// use axum_logto::{scopes, LogtoState, OrgApiToken, OrgFromPath};
///
/// scopes! { pub ReadReports = "read:reports"; }
///
/// async fn reports(token: OrgApiToken<OrgFromPath, ReadReports>) -> String {
///     format!("reports of {} for {}", token.organization_id(), token.sub())
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
pub struct OrgApiToken<O, S = ()> {
    info: AuthInfo,
    organization_id: String,
    _marker: PhantomData<fn() -> (O, S)>,
}

organization_extractor_common!(OrgApiToken);

impl<O, S: ScopeSet> OrgApiToken<O, S> {
    async fn extract<St>(
        parts: &mut Parts,
        logto: &LogtoState,
        state: &St,
    ) -> Result<Self, AuthError>
    where
        O: OrganizationSource<St>,
    {
        let info = authenticate(parts, logto, AudienceRule::Resource).await?;
        let Some(claimed) = info.organization_id().map(str::to_owned) else {
            return Err(AuthError::WrongOrganization {
                required: S::required(),
            });
        };
        if let Some(wanted) = O::organization_id(parts, state).await?
            && wanted != claimed
        {
            return Err(AuthError::WrongOrganization {
                required: S::required(),
            });
        }
        S::check(info.scopes())?;
        Ok(Self {
            info,
            organization_id: claimed,
            _marker: PhantomData,
        })
    }
}
