//! Why a request was refused: [`AuthError`], the core's answer mapped to HTTP meanings.

use std::fmt;

use http::StatusCode;

use crate::token::{InvalidTokenReason, TokenError};

/// Why a token (or a request that should carry one) was refused.
///
/// Every kind maps to one HTTP status ([`AuthError::status`]), one RFC 6750 error code
/// ([`AuthError::error_code`]) and one fixed, human-readable description
/// ([`AuthError::description`]). Descriptions are chosen by this crate; they never repeat the
/// text of an underlying library's error, and never contain `"` or `\`, so they can be placed in
/// a `WWW-Authenticate` header as they are. The response each one gets is in the table on
/// [`AuthRejection`](crate::AuthRejection); what a route required (the `scope` of its
/// challenge) is the rejection's too, not the error's.
///
/// ```
/// use axum_logto::{AuthError, InvalidTokenReason};
/// use http::StatusCode;
///
/// let err = AuthError::InvalidToken(InvalidTokenReason::Expired);
/// assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(err.error_code(), Some("invalid_token"));
/// assert_eq!(err.description(), "the access token has expired");
/// assert_eq!(err.name(), "expired");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carries no bearer token (no `Authorization` header, or one with another
    /// scheme). RFC 6750 §3.1: the challenge then carries no error code.
    MissingToken,
    /// The request is malformed as a whole, for instance it carries more than one
    /// `Authorization` header, or the token both in a header and elsewhere.
    InvalidRequest,
    /// The route needs an organization but the request does not name one (for instance the
    /// header read by [`OrgFromHeader`](crate::OrgFromHeader) is missing or empty).
    MissingOrg,
    /// The token is not acceptable: malformed, badly signed, expired, for another issuer or
    /// another audience. The reason says which rule failed.
    InvalidToken(InvalidTokenReason),
    /// The token is valid and addressed to this API but lacks a scope the route needs.
    InsufficientScope {
        /// `true` when any one of the route's scopes is enough (`AnyOf`), `false` when all
        /// are needed.
        any_of: bool,
    },
    /// The token is valid but for another organization than the one the request targets.
    WrongOrg,
    /// The token is valid and for this API, but for no organization, on a route of an
    /// organization-level API resource ([`OrgApiToken`](crate::OrgApiToken)): it carries no
    /// `organization_id`. The client asks Logto for one with `organization_id` on its token
    /// request.
    NotForOrg,
    /// The token is valid and addressed to this API, but it carries an `organization_id`
    /// claim: its permissions were granted by the user's role *within that organization*,
    /// and a global route (no organization) does not accept them. Organization routes take
    /// it through [`OrgApiToken`](crate::OrgApiToken); see
    /// [`LogtoStateBuilder::allow_org_level_tokens`](crate::LogtoStateBuilder::allow_org_level_tokens)
    /// for the opt-in and its risk.
    OrgLevelToken,
    /// The token is valid but fails the route's [`ClaimCheck`](crate::ClaimCheck) (for
    /// instance [`RequireCheck<MachineOnly>`](crate::RequireCheck) with a user's token).
    ClaimCheckFailed {
        /// The check's fixed description, sent as `error_description`.
        description: &'static str,
    },
    /// The route is set up wrongly: for instance [`OrgFromPath`](crate::OrgFromPath) on a route
    /// without the path parameter it reads. A server bug, not the client's: 500, logged at
    /// `error` once per route.
    MisconfiguredRoute,
    /// The signing keys could not be obtained (Logto unreachable and no key set ever loaded,
    /// or none loaded for longer than the
    /// [maximum key set age](crate::LogtoStateBuilder::max_key_set_age)). This is the
    /// server's trouble, not the client's: 503 with `Retry-After`.
    KeysUnavailable,
    /// The state fails closed on revocations
    /// ([`LogtoStateBuilder::revocations_fail_closed`](crate::LogtoStateBuilder::revocations_fail_closed))
    /// and the store that shares them is unreachable: no token can be told clean. 503 with
    /// `Retry-After`.
    RevocationsUnavailable,
}

impl AuthError {
    /// The HTTP status this error answers with (see the table on
    /// [`AuthRejection`](crate::AuthRejection)).
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest | Self::MissingOrg => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. }
            | Self::WrongOrg
            | Self::NotForOrg
            | Self::OrgLevelToken
            | Self::ClaimCheckFailed { .. } => StatusCode::FORBIDDEN,
            Self::MisconfiguredRoute => StatusCode::INTERNAL_SERVER_ERROR,
            Self::KeysUnavailable | Self::RevocationsUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 error code, or `None` where the response carries none (a request without a
    /// token, the 500 of a misconfigured route, and the 503 when keys are unavailable).
    pub const fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::MissingToken
            | Self::MisconfiguredRoute
            | Self::KeysUnavailable
            | Self::RevocationsUnavailable => None,
            Self::InvalidRequest | Self::MissingOrg => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope { .. }
            | Self::WrongOrg
            | Self::NotForOrg
            | Self::OrgLevelToken
            | Self::ClaimCheckFailed { .. } => Some("insufficient_scope"),
        }
    }

    /// The `error` member of the JSON body: the RFC 6750 code, or `unauthorized` (no token),
    /// `server_error` (500) and `temporarily_unavailable` (503) where RFC 6750 has none.
    ///
    /// ```
    /// use axum_logto::AuthError;
    ///
    /// assert_eq!(AuthError::MissingToken.body_code(), "unauthorized");
    /// assert_eq!(AuthError::KeysUnavailable.body_code(), "temporarily_unavailable");
    /// assert_eq!(AuthError::InvalidRequest.body_code(), "invalid_request");
    /// ```
    pub const fn body_code(&self) -> &'static str {
        match self.error_code() {
            Some(code) => code,
            None => match self {
                Self::MisconfiguredRoute => "server_error",
                Self::KeysUnavailable | Self::RevocationsUnavailable => "temporarily_unavailable",
                _ => "unauthorized",
            },
        }
    }

    /// A short, fixed `snake_case` name of what failed, for logs and metrics labels: the
    /// [`InvalidTokenReason::name`] for invalid tokens, else `missing_token`,
    /// `invalid_request`, `missing_organization`, `insufficient_scope`,
    /// `wrong_organization`, `not_for_an_organization`, `organization_scoped`,
    /// `claim_check_failed`, `misconfigured_route`, `keys_unavailable` or
    /// `revocations_unavailable`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::InvalidRequest => "invalid_request",
            Self::MissingOrg => "missing_organization",
            Self::InvalidToken(reason) => reason.name(),
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::WrongOrg => "wrong_organization",
            Self::NotForOrg => "not_for_an_organization",
            Self::OrgLevelToken => "organization_scoped",
            Self::ClaimCheckFailed { .. } => "claim_check_failed",
            Self::MisconfiguredRoute => "misconfigured_route",
            Self::KeysUnavailable => "keys_unavailable",
            Self::RevocationsUnavailable => "revocations_unavailable",
        }
    }

    /// The former name of [`name`](Self::name).
    #[doc(hidden)]
    #[deprecated(
        note = "renamed `name`, as `InvalidTokenReason::name` and `KeyFetchErrorKind::name`"
    )]
    pub const fn reason(&self) -> &'static str {
        self.name()
    }

    /// The fixed human-readable description (no `"` or `\`).
    pub const fn description(&self) -> &'static str {
        match self {
            Self::MissingToken => "the request carries no bearer token",
            Self::InvalidRequest => {
                "the request carries its credentials more than once or in a malformed way"
            }
            Self::MissingOrg => "the request does not name an organization",
            Self::InvalidToken(reason) => reason.description(),
            Self::InsufficientScope { any_of: false } => {
                "the access token lacks a scope this resource requires"
            }
            Self::InsufficientScope { any_of: true } => {
                "the access token needs at least one of the scopes this resource accepts"
            }
            Self::WrongOrg => "the access token is for another organization",
            Self::NotForOrg => "the access token is not for an organization",
            Self::OrgLevelToken => {
                "the access token carries permissions granted within an organization"
            }
            Self::ClaimCheckFailed { description } => description,
            Self::MisconfiguredRoute => {
                "the server cannot tell which organization this route is for"
            }
            Self::KeysUnavailable => "the signing keys of the issuer are unavailable",
            Self::RevocationsUnavailable => "the revocations of this resource are unavailable",
        }
    }

    /// The reason, when this is an [`AuthError::InvalidToken`].
    pub const fn invalid_token_reason(&self) -> Option<InvalidTokenReason> {
        match self {
            Self::InvalidToken(reason) => Some(*reason),
            _ => None,
        }
    }
}

impl From<InvalidTokenReason> for AuthError {
    fn from(reason: InvalidTokenReason) -> Self {
        Self::InvalidToken(reason)
    }
}

impl From<TokenError> for AuthError {
    /// The decision's refusal, one to one.
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid(reason) => Self::InvalidToken(reason),
            TokenError::WrongOrg => Self::WrongOrg,
            TokenError::NotForOrg => Self::NotForOrg,
            TokenError::OrgLevelToken => Self::OrgLevelToken,
            TokenError::InsufficientScope { any_of } => Self::InsufficientScope { any_of },
            TokenError::ClaimCheckFailed { description } => Self::ClaimCheckFailed { description },
            // Only a request-side source leaves the organization unresolved, and it answers
            // with its own error in its place; were it ever to reach here, it is that.
            TokenError::OrgUnresolved => Self::MissingOrg,
            TokenError::KeysUnavailable => Self::KeysUnavailable,
            TokenError::RevocationsUnavailable => Self::RevocationsUnavailable,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ClaimCheck as _;

    const ALL_REASONS: &[InvalidTokenReason] = InvalidTokenReason::ALL;

    #[test]
    fn descriptions_are_safe_in_a_quoted_string() {
        let mut all: Vec<AuthError> = ALL_REASONS.iter().map(|r| (*r).into()).collect();
        all.extend([
            AuthError::MissingToken,
            AuthError::InvalidRequest,
            AuthError::MissingOrg,
            AuthError::InsufficientScope { any_of: false },
            AuthError::InsufficientScope { any_of: true },
            AuthError::WrongOrg,
            AuthError::NotForOrg,
            AuthError::OrgLevelToken,
            AuthError::ClaimCheckFailed {
                description: crate::check::MachineOnly::DESCRIPTION,
            },
            AuthError::MisconfiguredRoute,
            AuthError::KeysUnavailable,
            AuthError::RevocationsUnavailable,
        ]);
        for err in all {
            let d = err.description();
            assert!(!d.is_empty());
            assert!(
                d.bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'),
                "{d}"
            );
        }
    }

    #[test]
    fn reasons_have_distinct_descriptions() {
        let set: std::collections::HashSet<_> =
            ALL_REASONS.iter().map(|r| r.description()).collect();
        assert_eq!(set.len(), ALL_REASONS.len());
    }

    #[test]
    fn statuses_and_codes() {
        assert_eq!(AuthError::MissingToken.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(AuthError::MissingToken.error_code(), None);
        assert_eq!(AuthError::InvalidRequest.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            AuthError::InvalidRequest.error_code(),
            Some("invalid_request")
        );
        let wrong_org = AuthError::WrongOrg;
        assert_eq!(wrong_org.status(), StatusCode::FORBIDDEN);
        assert_eq!(wrong_org.error_code(), Some("insufficient_scope"));
        assert_eq!(
            AuthError::KeysUnavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(AuthError::KeysUnavailable.error_code(), None);
    }
}
