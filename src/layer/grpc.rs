//! gRPC (feature `tonic`): refusals as gRPC statuses, and the caller's `AuthInfo` in a tonic
//! request.

use axum::body::Body;
use http::request::Parts;
use http::{Response, StatusCode};

use crate::claims::AuthInfo;
use crate::error::AuthError;
use crate::rejection::AuthRejection;

/// Whether the request is a gRPC call: its media type is exactly `application/grpc`, or
/// `application/grpc+<format>` (`+proto`, `+json`), case-insensitively, parameters aside.
/// `application/grpc-web` and the like are other protocols, answered in HTTP.
pub(super) fn is_grpc(parts: &Parts) -> bool {
    parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(is_grpc_media_type)
}

fn is_grpc_media_type(content_type: &str) -> bool {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.strip_prefix("application/grpc") {
        Some("") => true,
        Some(format) => format.strip_prefix('+').is_some_and(|f| !f.is_empty()),
        None => false,
    }
}

/// The gRPC answer to a refusal: a trailers-only response with the status and the fixed
/// description (the rejection hook, which answers in HTTP, is not used).
pub(super) fn refuse(rejection: &AuthRejection) -> Response<Body> {
    tonic::Status::from(rejection.error()).into_http()
}

/// The gRPC status of a refusal: `unauthenticated` for the 401 cases (no token, bad token),
/// `permission_denied` for the 403 cases, `invalid_argument` for the 400 cases,
/// `unavailable` when the keys are unavailable, `internal` for a misconfigured route; the
/// message is the fixed description.
///
/// ```
/// use axum_logto::{AuthError, InvalidTokenReason};
///
/// let status = tonic::Status::from(&AuthError::InvalidToken(InvalidTokenReason::Expired));
/// assert_eq!(status.code(), tonic::Code::Unauthenticated);
/// assert_eq!(status.message(), "the access token has expired");
/// ```
impl From<&AuthError> for tonic::Status {
    fn from(error: &AuthError) -> Self {
        let code = match error.status() {
            StatusCode::UNAUTHORIZED => tonic::Code::Unauthenticated,
            StatusCode::FORBIDDEN => tonic::Code::PermissionDenied,
            StatusCode::BAD_REQUEST => tonic::Code::InvalidArgument,
            StatusCode::SERVICE_UNAVAILABLE => tonic::Code::Unavailable,
            _ => tonic::Code::Internal,
        };
        tonic::Status::new(code, error.description())
    }
}

impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        Self::from(&error)
    }
}

/// The caller's [`AuthInfo`] in a tonic request, put there by
/// [`LogtoLayer`](crate::LogtoLayer) on the tonic server.
///
/// ```
/// use axum_logto::AuthInfoExt as _;
///
/// fn whoami<T>(request: &tonic::Request<T>) -> Result<String, tonic::Status> {
///     let auth = request
///         .auth_info()
///         .ok_or_else(|| tonic::Status::unauthenticated("no access token"))?;
///     Ok(auth.sub().to_owned())
/// }
/// ```
pub trait AuthInfoExt {
    /// The verified token's [`AuthInfo`], when the request passed the layer with one.
    fn auth_info(&self) -> Option<&AuthInfo>;
}

impl<T> AuthInfoExt for tonic::Request<T> {
    fn auth_info(&self) -> Option<&AuthInfo> {
        self.extensions().get::<AuthInfo>()
    }
}

#[cfg(test)]
mod tests {
    use super::is_grpc_media_type;

    #[test]
    fn grpc_by_its_exact_media_type() {
        for grpc in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC+json",
            "application/grpc; charset=utf-8",
        ] {
            assert!(is_grpc_media_type(grpc), "{grpc}");
        }
        for other in [
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/grpcx",
            "application/grpc+",
            "application/json",
            "",
        ] {
            assert!(!is_grpc_media_type(other), "{other}");
        }
    }
}
