//! [`CallerToken`]: the caller's verified token, for a token exchange on its behalf.

use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use super::{AnyOrg, grant};
use crate::claims::{AuthInfo, NoClaims};
use crate::credentials::bearer_token;
use crate::error::AuthError;
use crate::outbound::SubjectToken;
use crate::rejection::AuthRejection;
use crate::scope::RequiredScopes;
use crate::state::LogtoState;
use crate::token::{InvalidTokenReason, Policy};

/// A valid access token for this API (as [`Auth`](crate::Auth) takes it), and the token
/// itself, for [`LogtoClient::exchange`](crate::LogtoClient::exchange) only: to call another
/// API on the caller's behalf with a token of its own (never the caller's token passed on).
/// Derefs to [`AuthInfo`].
///
/// ```no_run
/// use axum::extract::State;
/// use axum_logto::{CallerToken, LogtoClient, TokenRequest};
///
/// async fn reports(caller: CallerToken, State(client): State<LogtoClient>) -> String {
///     let request = TokenRequest::resource("https://reports.example.com").scopes(["read:reports"]);
///     match client.exchange(caller.subject_token(), &request).await {
///         Ok(token) => format!("a token for {} until {:?}", caller.sub(), token.expires_at()),
///         Err(error) => error.to_string(),
///     }
/// }
/// ```
pub struct CallerToken {
    info: AuthInfo,
    subject: SubjectToken,
}

impl std::fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerToken")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl CallerToken {
    /// The caller's token, for a token exchange (never logged, nor shown by `Debug`).
    pub fn subject_token(&self) -> &SubjectToken {
        &self.subject
    }

    /// What the token says.
    pub fn info(&self) -> &AuthInfo {
        &self.info
    }
}

impl Deref for CallerToken {
    type Target = AuthInfo;
    fn deref(&self) -> &AuthInfo {
        &self.info
    }
}

impl<St> FromRequestParts<St> for CallerToken
where
    LogtoState: FromRef<St>,
    St: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let logto = LogtoState::from_ref(state);
        let missing = || logto.reject_required(AuthError::MissingToken, RequiredScopes::NONE);
        let granted = grant::<St, AnyOrg, NoClaims>(parts, &logto, state, &Policy::global(), false)
            .await?
            .ok_or_else(missing)?;
        // The very token `grant` verified (read once more from this request).
        let token = bearer_token(parts, logto.token_sources())
            .ok()
            .and_then(|bearer| String::from_utf8(bearer.token.into_owned()).ok())
            .ok_or_else(|| {
                logto.reject_required(
                    AuthError::InvalidToken(InvalidTokenReason::Malformed),
                    RequiredScopes::NONE,
                )
            })?;
        Ok(Self {
            subject: SubjectToken::new(token, &granted.info),
            info: granted.info,
        })
    }
}
