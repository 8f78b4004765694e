//! The bearer token of a request (RFC 6750 §2.1).

use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::error::AuthError;
use crate::token::InvalidTokenReason;

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
