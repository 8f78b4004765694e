//! The refusals of the crate's response table ([`AuthRejection`](crate::AuthRejection)) as
//! OpenAPI responses: 400, 401, 403 and 503, each with the JSON error body and its headers.

use serde_json::{Value, json};

use crate::error::AuthError;
use crate::token::InvalidTokenReason;

/// The name of the error body's schema among the document's components.
pub(crate) const ERROR_SCHEMA_NAME: &str = "AuthError";

/// The `error` codes a default body carries ([`AuthError::body_code`]), the 500's included.
const BODY_CODES: [&str; 6] = [
    "invalid_request",
    "unauthorized",
    "invalid_token",
    "insufficient_scope",
    "server_error",
    "temporarily_unavailable",
];

/// The JSON schema of the body of every refusal: `{"error", "error_description"}`.
pub(crate) fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "Why axum-logto refused the request (RFC 6750): a fixed error code and a fixed description.",
        "required": ["error", "error_description"],
        "properties": {
            "error": {
                "type": "string",
                "enum": BODY_CODES,
                "description": "The RFC 6750 error code, or `unauthorized` (no token), `server_error`, `temporarily_unavailable`.",
            },
            "error_description": {
                "type": "string",
                "description": "A fixed, human-readable description.",
            },
        },
    })
}

/// The body the crate answers `error` with.
fn body(error: &AuthError) -> Value {
    json!({ "error": error.body_code(), "error_description": error.description() })
}

/// One refusal: its description, the `$ref` (or inline schema) of the body, an example body,
/// and its headers.
fn response(description: String, schema: &Value, example: &AuthError, headers: Value) -> Value {
    json!({
        "description": description,
        "headers": headers,
        "content": {
            "application/json": {
                "schema": schema,
                "example": body(example),
            },
        },
    })
}

/// The `WWW-Authenticate` header of 400, 401 and 403 answers.
fn challenge() -> Value {
    json!({
        "WWW-Authenticate": {
            "description": "The RFC 6750 challenge: `Bearer realm=\"…\"`, with `error`, `error_description`, `scope` (the route's scopes) and `resource_metadata` as they apply.",
            "required": true,
            "schema": { "type": "string" },
        },
    })
}

/// The refusals a route protected by this crate answers with (the default answers: a
/// [rejection hook](crate::LogtoStateBuilder::on_rejection) may answer otherwise). `schema`
/// is the body's schema or a `$ref` to it; `checks` are the descriptions of the claim checks
/// the route applies (named by its 403).
pub(crate) fn error_responses(schema: &Value, checks: &[&str]) -> Vec<(u16, Value)> {
    let mut forbidden = "A valid token that does not suffice (`insufficient_scope`): it lacks the \
                         route's scopes, is for another organization, or is an \
                         organization-level token on a global route"
        .to_owned();
    for check in checks {
        forbidden.push_str("; or: ");
        forbidden.push_str(check);
    }
    forbidden.push('.');
    vec![
        (
            400,
            response(
                "The credentials are sent more than once or malformed, or the request names no \
                 organization (`invalid_request`)."
                    .to_owned(),
                schema,
                &AuthError::InvalidRequest,
                challenge(),
            ),
        ),
        (
            401,
            response(
                "No bearer token (`unauthorized`), or a bad one (`invalid_token`: malformed, \
                 badly signed, expired, for another issuer or audience)."
                    .to_owned(),
                schema,
                &AuthError::InvalidToken(InvalidTokenReason::Expired),
                challenge(),
            ),
        ),
        (
            403,
            response(
                forbidden,
                schema,
                &AuthError::InsufficientScope { any_of: false },
                challenge(),
            ),
        ),
        (
            503,
            response(
                "The tenant's signing keys cannot be obtained (`temporarily_unavailable`): retry \
                 later."
                    .to_owned(),
                schema,
                &AuthError::KeysUnavailable,
                json!({
                    "Retry-After": {
                        "description": "Seconds to wait before retrying.",
                        "required": true,
                        "schema": { "type": "integer", "minimum": 1 },
                    },
                }),
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_code_is_in_the_schema() {
        let errors = [
            AuthError::MissingToken,
            AuthError::InvalidRequest,
            AuthError::MissingOrg,
            AuthError::InvalidToken(InvalidTokenReason::Expired),
            AuthError::InsufficientScope { any_of: true },
            AuthError::WrongOrg,
            AuthError::OrgLevelToken,
            AuthError::ClaimCheckFailed { description: "x" },
            AuthError::MisconfiguredRoute,
            AuthError::KeysUnavailable,
        ];
        for error in &errors {
            assert!(BODY_CODES.contains(&error.body_code()), "{error:?}");
        }
        let responses = error_responses(&json!({}), &["the check"]);
        let statuses: Vec<u16> = responses.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, [400, 401, 403, 503]);
        assert!(
            responses[2].1["description"]
                .as_str()
                .unwrap()
                .ends_with("; or: the check.")
        );
    }
}
