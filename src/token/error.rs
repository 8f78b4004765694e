//! What the validation core answers when it refuses a token: [`InvalidTokenReason`] and
//! [`TokenError`]. Neither knows about HTTP; `AuthError` maps them to statuses.

use std::fmt;

/// Which validation rule refused a token (an [`AuthError::InvalidToken`](crate::AuthError)).
///
/// The list follows the order in which the rules run (cheapest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidTokenReason {
    /// Longer than the configured maximum (default 8 KiB).
    TooLarge,
    /// An opaque token, not a JWT (no `.` in it): what Logto issues to a client that asks for
    /// no `resource`. The client should request the token with `resource` set to this API's
    /// resource indicator (RFC 8707).
    Opaque,
    /// Not a compact JWS of three base64url segments, not RFC 6750 `b64token`, or a header or
    /// payload that is not a JSON object (or names a member twice, at any depth).
    Malformed,
    /// An ID token sent as an access token: `typ` is not `at+jwt`, and the payload has what ID
    /// tokens have (`nonce`, `at_hash`, or no `scope` and no `client_id`). Read from the
    /// unverified payload, only to say what the token is: it is refused whatever it says.
    IdToken,
    /// The JOSE header's `typ` is missing or is not `at+jwt` / `application/at+jwt` (RFC 9068).
    UnsupportedType,
    /// The JOSE header carries `crit`, which this crate does not understand.
    CriticalHeader,
    /// No key of the issuer's JWK set has the token's `kid` (or, without a `kid`, not exactly
    /// one key fits).
    UnknownKey,
    /// The header's `alg` does not fit the key (for instance `none`, `HS256`, or `ES256`
    /// against a P-384 key).
    AlgorithmMismatch,
    /// The signature does not verify.
    BadSignature,
    /// A registered claim is missing (`iss`, `exp`, `aud`, `sub`) or has the wrong JSON type.
    InvalidClaims,
    /// The token is sender-constrained (a `cnf` claim: DPoP's `jkt`, mTLS's `x5t#S256`): only
    /// the holder of its key may use it, and this crate cannot check the proof, so it refuses
    /// such tokens (RFC 9449 §7.1, RFC 8705 §3) rather than accept them as bearer tokens.
    SenderConstrained,
    /// `iss` is not the tenant's issuer.
    WrongIssuer,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// The token lives longer than the configured maximum (`exp` after `iat`, or after now; see
    /// [`LogtoStateBuilder::max_token_lifetime`](crate::LogtoStateBuilder::max_token_lifetime)).
    LifetimeTooLong,
    /// `aud` does not contain this API's resource indicator (or, for organization extractors,
    /// any `urn:logto:organization:<id>`).
    WrongAudience,
    /// The token was issued to an application (`client_id`) that the API does not accept
    /// (see [`LogtoStateBuilder::allowed_client`](crate::LogtoStateBuilder::allowed_client)).
    ClientNotAllowed,
    /// A revocation rule names the token (a Logto webhook said its subject was suspended,
    /// left the organization…, or an operator revoked it): see
    /// [`Revocation`](crate::Revocation).
    Revoked,
}

impl InvalidTokenReason {
    /// Every reason, in the order the rules run. A slice, so that a reason added later (the
    /// enum is `#[non_exhaustive]`) changes no type.
    pub const ALL: &'static [Self] = &[
        Self::TooLarge,
        Self::Opaque,
        Self::Malformed,
        Self::IdToken,
        Self::UnsupportedType,
        Self::CriticalHeader,
        Self::UnknownKey,
        Self::AlgorithmMismatch,
        Self::BadSignature,
        Self::InvalidClaims,
        Self::SenderConstrained,
        Self::WrongIssuer,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
        Self::LifetimeTooLong,
        Self::WrongAudience,
        Self::ClientNotAllowed,
        Self::Revoked,
    ];

    /// The fixed description sent in `error_description`.
    pub const fn description(self) -> &'static str {
        match self {
            Self::TooLarge => "the access token is too large",
            Self::Opaque => {
                "the access token is opaque, not a JWT: request it with the resource parameter \
                 set to this API"
            }
            Self::Malformed => "the access token is malformed",
            Self::IdToken => "an ID token was sent instead of an access token for this API",
            Self::UnsupportedType => "the access token type is not at+jwt",
            Self::CriticalHeader => "the access token has an unsupported critical header",
            Self::UnknownKey => "the access token is signed with an unknown key",
            Self::AlgorithmMismatch => "the access token algorithm does not fit the signing key",
            Self::BadSignature => "the access token signature is invalid",
            Self::InvalidClaims => {
                "the access token lacks a required claim or has a claim of the wrong type"
            }
            Self::SenderConstrained => {
                "the access token is bound to a key, and this resource cannot check its proof"
            }
            Self::WrongIssuer => "the access token was issued by another issuer",
            Self::Expired => "the access token has expired",
            Self::NotYetValid => "the access token is not valid yet",
            Self::IssuedInFuture => "the access token was issued in the future",
            Self::LifetimeTooLong => {
                "the access token is valid for longer than this resource accepts"
            }
            Self::WrongAudience => "the access token is not intended for this resource",
            Self::ClientNotAllowed => {
                "the access token was issued to an application this resource does not accept"
            }
            Self::Revoked => "the access token was revoked",
        }
    }

    /// A short `snake_case` name, stable for logs and metrics labels (`expired`,
    /// `bad_signature`…).
    pub const fn name(self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Opaque => "opaque_token",
            Self::Malformed => "malformed",
            Self::IdToken => "id_token",
            Self::UnsupportedType => "unsupported_type",
            Self::CriticalHeader => "critical_header",
            Self::UnknownKey => "unknown_key",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::InvalidClaims => "invalid_claims",
            Self::SenderConstrained => "sender_constrained",
            Self::WrongIssuer => "wrong_issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongAudience => "wrong_audience",
            Self::ClientNotAllowed => "client_not_allowed",
            Self::Revoked => "revoked",
        }
    }
}

impl fmt::Display for InvalidTokenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// Why the validation core refused a token, or a request the token does not suffice for: the
/// outcome of the one decision (`Validator::decide`). `AuthError` maps it one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// The token itself is not acceptable.
    Invalid(InvalidTokenReason),
    /// A valid token for another organization than the one asked for.
    WrongOrg,
    /// A valid token for this API, for no organization, where one is needed (an
    /// organization-level API resource without `organization_id`).
    NotForOrg,
    /// A valid token for this API whose permissions were granted within an organization
    /// (it carries `organization_id`), on a global route.
    OrgLevelToken,
    /// A valid token without the scopes the policy requires.
    InsufficientScope {
        /// Whether one of the scopes would have been enough.
        any_of: bool,
    },
    /// A valid token that fails the policy's claim check.
    ClaimCheckFailed {
        /// The check's fixed description.
        description: &'static str,
    },
    /// The request names no organization that could be read: the adapter that read it
    /// answers with its own error (see `Target::Unresolved`).
    OrgUnresolved,
    /// No key set could be loaded.
    KeysUnavailable,
    /// The state fails closed on revocations, and their store is unreachable.
    RevocationsUnavailable,
}

impl From<InvalidTokenReason> for TokenError {
    fn from(reason: InvalidTokenReason) -> Self {
        Self::Invalid(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_and_names_are_distinct_and_quotable() {
        let descriptions: std::collections::HashSet<_> = InvalidTokenReason::ALL
            .iter()
            .map(|r| r.description())
            .collect();
        let names: std::collections::HashSet<_> =
            InvalidTokenReason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(descriptions.len(), InvalidTokenReason::ALL.len());
        assert_eq!(names.len(), InvalidTokenReason::ALL.len());
        for name in names {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
    }
}
