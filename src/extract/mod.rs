//! The Axum extractors: [`Auth`], [`RequireScopes`], [`OrgToken`], [`OrgApiToken`].
//!
//! They are thin: the bearer token is read from the request, verified once per request (the
//! result is cached in the request's extensions, so two extractors in one handler verify the
//! signature once), and the audience, organization and scope rules of each extractor are
//! applied to the cached result.

mod org;

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::header::AUTHORIZATION;
use http::request::Parts;

pub use org::{
    AnyOrg, OrgApiToken, OrgFromHeader, OrgFromPath, OrgIdParam, OrgToken, OrganizationIdHeader,
    OrganizationSource, ParamName,
};

use crate::claims::AuthInfo;
use crate::error::{AuthError, InvalidTokenReason};
use crate::rejection::AuthRejection;
use crate::scope::ScopeSet;
use crate::state::LogtoState;
use crate::validate::AudienceRule;

/// Reads the bearer token (RFC 6750 §2.1) from the request.
///
/// - no `Authorization` header, or one with another scheme: [`AuthError::MissingToken`];
/// - more than one `Authorization` header, or a bearer header and an `access_token` query
///   parameter at once: [`AuthError::InvalidRequest`];
/// - `Bearer` with nothing after it, or a header that is not visible ASCII: malformed token.
///
/// The scheme is case-insensitive. The query and form-body methods of RFC 6750 are not
/// supported as a way to send a token (URIs end up in logs).
pub(crate) fn bearer_token(parts: &Parts) -> Result<&str, AuthError> {
    let mut headers = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = headers.next() else {
        return Err(AuthError::MissingToken);
    };
    if headers.next().is_some() {
        return Err(AuthError::InvalidRequest);
    }
    let value = value.to_str().map_err(|_| InvalidTokenReason::Malformed)?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(InvalidTokenReason::Malformed.into());
    }
    let in_query = parts.uri.query().is_some_and(|query| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
    });
    if in_query {
        return Err(AuthError::InvalidRequest);
    }
    Ok(token)
}

/// The verified (signature-checked, typed) token of this request, cached in its extensions.
/// It holds the token it was made from: if a middleware replaces the `Authorization` header
/// between two extractors, the new token is verified afresh.
#[derive(Clone)]
struct Verified {
    state_id: u64,
    token: Box<str>,
    result: Result<AuthInfo, AuthError>,
}

/// Steps 1-4 once per request and state, then step 5 for `audience` every time.
pub(crate) async fn authenticate(
    parts: &mut Parts,
    state: &LogtoState,
    audience: AudienceRule,
) -> Result<AuthInfo, AuthError> {
    // The header is read every time, so that every extractor sees duplicate credentials (400)
    // and a header replaced by a middleware.
    let token = bearer_token(parts)?;
    let cached = parts
        .extensions
        .get::<Verified>()
        .filter(|v| v.state_id == state.id() && *v.token == *token)
        .map(|v| v.result.clone());
    let info = match cached {
        Some(result) => result?,
        None => {
            let token: Box<str> = token.into();
            let result = state.verify_token(&token).await;
            let state_id = state.id();
            parts.extensions.insert(Verified {
                state_id,
                token,
                result: result.clone(),
            });
            result?
        }
    };
    state.check(&info, audience)?;
    Ok(info)
}

/// `None` when the request carries no bearer token; otherwise the extractor's own outcome.
async fn optional<T, S>(parts: &mut Parts, state: &S) -> Result<Option<T>, AuthRejection>
where
    T: FromRequestParts<S, Rejection = AuthRejection>,
    S: Send + Sync,
{
    if bearer_token(parts) == Err(AuthError::MissingToken) {
        return Ok(None);
    }
    T::from_request_parts(parts, state).await.map(Some)
}

/// Any valid access token for this API: its `aud` holds a configured resource indicator.
///
/// Derefs to [`AuthInfo`]. `Option<Auth>` is `None` only when the request has no bearer
/// token; a present but invalid token is still rejected.
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
#[derive(Debug, Clone)]
pub struct Auth(AuthInfo);

impl Auth {
    /// What the token says.
    pub fn info(&self) -> &AuthInfo {
        &self.0
    }

    /// Consumes the extractor, returning what the token says.
    pub fn into_info(self) -> AuthInfo {
        self.0
    }
}

impl Deref for Auth {
    type Target = AuthInfo;
    fn deref(&self) -> &AuthInfo {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Auth
where
    LogtoState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let logto = LogtoState::from_ref(state);
        authenticate(parts, &logto, AudienceRule::Resource)
            .await
            .map(Self)
            .map_err(|error| logto.reject(error))
    }
}

impl<S> OptionalFromRequestParts<S> for Auth
where
    LogtoState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        optional(parts, state).await
    }
}

/// A valid access token for this API that grants the scopes `S`.
///
/// `S` is a scope marker declared with [`scopes!`](crate::scopes), a tuple of markers (all of
/// them), or [`AnyOf`](crate::AnyOf) (at least one). A token for another audience is 401
/// `invalid_token`; a valid token without the scopes is 403 `insufficient_scope` with
/// `scope="…"` naming them. Derefs to [`AuthInfo`].
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
    info: AuthInfo,
    _scopes: PhantomData<fn() -> S>,
}

impl<S> std::fmt::Debug for RequireScopes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequireScopes").field(&self.info).finish()
    }
}

impl<S> Clone for RequireScopes<S> {
    fn clone(&self) -> Self {
        Self {
            info: self.info.clone(),
            _scopes: PhantomData,
        }
    }
}

impl<S> RequireScopes<S> {
    /// What the token says.
    pub fn info(&self) -> &AuthInfo {
        &self.info
    }

    /// Consumes the extractor, returning what the token says.
    pub fn into_info(self) -> AuthInfo {
        self.info
    }
}

impl<S> Deref for RequireScopes<S> {
    type Target = AuthInfo;
    fn deref(&self) -> &AuthInfo {
        &self.info
    }
}

impl<St, S> FromRequestParts<St> for RequireScopes<S>
where
    LogtoState: FromRef<St>,
    St: Send + Sync,
    S: ScopeSet,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let logto = LogtoState::from_ref(state);
        let result = async {
            let info = authenticate(parts, &logto, AudienceRule::Resource).await?;
            S::check(info.scopes())?;
            Ok(info)
        };
        result
            .await
            .map(|info| Self {
                info,
                _scopes: PhantomData,
            })
            .map_err(|error| logto.reject(error))
    }
}

impl<St, S> OptionalFromRequestParts<St> for RequireScopes<S>
where
    LogtoState: FromRef<St>,
    St: Send + Sync,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)], uri: &str) -> Parts {
        let mut builder = http::Request::builder().uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_header_parsing() {
        let ok = |h: &str| bearer_token(&parts(&[("authorization", h)], "/")).map(str::to_owned);
        assert_eq!(ok("Bearer abc").unwrap(), "abc");
        assert_eq!(ok("bearer abc").unwrap(), "abc");
        assert_eq!(ok("BEARER  abc").unwrap(), "abc");
        assert_eq!(ok("Basic dXNlcjpwYXNz"), Err(AuthError::MissingToken));
        assert_eq!(ok("Bearerabc"), Err(AuthError::MissingToken));
        assert_eq!(ok("Bearer"), Err(InvalidTokenReason::Malformed.into()));
        assert_eq!(ok("Bearer "), Err(InvalidTokenReason::Malformed.into()));
        assert_eq!(bearer_token(&parts(&[], "/")), Err(AuthError::MissingToken));
        let twice = parts(
            &[("authorization", "Bearer a"), ("authorization", "Bearer a")],
            "/",
        );
        assert_eq!(bearer_token(&twice), Err(AuthError::InvalidRequest));
        let query = parts(&[("authorization", "Bearer a")], "/x?access_token=a");
        assert_eq!(bearer_token(&query), Err(AuthError::InvalidRequest));
        let only_query = parts(&[], "/x?access_token=a");
        assert_eq!(bearer_token(&only_query), Err(AuthError::MissingToken));
        let other_query = parts(&[("authorization", "Bearer a")], "/x?token=a");
        assert_eq!(bearer_token(&other_query).unwrap(), "a");
    }
}
