//! The bearer token of a request: the `Authorization` header (RFC 6750 §2.1), and, only when
//! the API opts in, a cookie or a query parameter (RFC 6750 §2.3).

use std::borrow::Cow;

use http::HeaderValue;
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;

use crate::error::AuthError;
use crate::token::{InvalidTokenReason, is_b64token};

/// Where, besides the `Authorization` header, a request may carry its token. Both are off
/// by default; see [`LogtoStateBuilder::token_from_cookie`](crate::LogtoStateBuilder::token_from_cookie)
/// and [`token_from_query`](crate::LogtoStateBuilder::token_from_query).
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenSources {
    pub(crate) cookie: Option<String>,
    pub(crate) query: Option<String>,
}

/// The query parameter of RFC 6750 §2.3: with a header, always a second copy (400).
const ACCESS_TOKEN: &str = "access_token";

/// Where a request carried its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `Authorization: Bearer`.
    Header,
    /// The cookie of [`TokenSources::cookie`].
    Cookie,
    /// The query parameter of [`TokenSources::query`]: RFC 6750 §2.3 asks that the response
    /// say `Cache-Control: private`.
    Query,
}

/// A request's bearer token and where it was. The token is bytes: the `Authorization` header
/// is not checked for UTF-8 here (a token the verified-token cache holds needs no check, and
/// one it does not is checked when it is parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bearer<'a> {
    pub(crate) token: Cow<'a, [u8]>,
    pub(crate) place: Place,
    /// The `Authorization` header's value, when the token is in it.
    pub(crate) header: Option<&'a HeaderValue>,
}

/// Reads the request's bearer token.
///
/// - nowhere (no `Authorization` header or one with another scheme, and no token in an
///   enabled source): [`AuthError::MissingToken`];
/// - in two places (two `Authorization` headers; a header and an `access_token` query
///   parameter; a header, a cookie or a query parameter together; a cookie or parameter
///   given twice): [`AuthError::InvalidRequest`];
/// - `Bearer` with nothing after it: malformed token (and bytes that are not UTF-8, or any
///   other character outside base64url, make the token malformed when it is parsed).
///
/// The scheme is case-insensitive and is followed by one or more spaces. The form-body method
/// of RFC 6750 is not supported (extractors cannot see the body).
pub(crate) fn bearer_token<'a>(
    parts: &'a Parts,
    sources: &TokenSources,
) -> Result<Bearer<'a>, AuthError> {
    let header = header_token(parts)?;
    let query = query_tokens(parts, sources.query.as_deref())?;
    let cookie = match &sources.cookie {
        Some(name) => cookie_token(parts, name)?,
        None => None,
    };
    // `access_token` in the query is a second copy beside a header even when the query
    // source is off, as RFC 6750 §2 allows one method per request.
    let places =
        usize::from(header.is_some()) + usize::from(query.present) + usize::from(cookie.is_some());
    if places > 1 {
        return Err(AuthError::InvalidRequest);
    }
    let (token, place) = match (header, query.token, cookie) {
        (Some((value, token)), _, _) => {
            return Ok(Bearer {
                token: Cow::Borrowed(token),
                place: Place::Header,
                header: Some(value),
            });
        }
        (None, Some(token), _) => (token, Place::Query),
        (None, None, Some(token)) => (token, Place::Cookie),
        (None, None, None) => return Err(AuthError::MissingToken),
    };
    if token.is_empty() {
        return Err(InvalidTokenReason::Malformed.into());
    }
    let token = match token {
        Cow::Borrowed(token) => Cow::Borrowed(token.as_bytes()),
        Cow::Owned(token) => Cow::Owned(token.into_bytes()),
    };
    Ok(Bearer {
        token,
        place,
        header: None,
    })
}

/// The `Authorization: Bearer` header and its token, if the request has one.
fn header_token(parts: &Parts) -> Result<Option<(&HeaderValue, &[u8])>, AuthError> {
    let mut headers = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = headers.next() else {
        return Ok(None);
    };
    if headers.next().is_some() {
        return Err(AuthError::InvalidRequest);
    }
    // Bytes, not `HeaderValue::to_str` nor `str::from_utf8`: they scan the whole value once
    // more, on every request, and a token with a byte outside base64url (or not UTF-8) is
    // refused when it is parsed anyway.
    let header = value;
    let value = value.as_bytes();
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let token = &rest[start..];
    if token.is_empty() {
        return Err(InvalidTokenReason::Malformed.into());
    }
    Ok(Some((header, token)))
}

/// What the query carries: whether a token is there at all (`access_token`, or the enabled
/// parameter), and the enabled parameter's value.
struct QueryTokens<'a> {
    present: bool,
    token: Option<Cow<'a, str>>,
}

fn query_tokens<'a>(parts: &'a Parts, enabled: Option<&str>) -> Result<QueryTokens<'a>, AuthError> {
    let mut found = QueryTokens {
        present: false,
        token: None,
    };
    let Some(query) = parts.uri.query() else {
        return Ok(found);
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let source = Some(name.as_ref()) == enabled;
        if !source && name != ACCESS_TOKEN {
            continue;
        }
        if found.present {
            return Err(AuthError::InvalidRequest);
        }
        found.present = true;
        if source {
            found.token = Some(value);
        }
    }
    Ok(found)
}

/// The value of the cookie `name`, if the request has it once as a `b64token` (RFC 6750 §2.1).
///
/// The header is read as bytes, pair by pair: a pair that is not UTF-8 (`pref=café`) is
/// skipped alone, not the whole header. A value that is empty (how many apps sign out) or not
/// a `b64token` is no credential at all, so a garbage cookie of the same name, tossed in from a
/// sibling subdomain, neither hides nor doubles a real token (a `__Host-` name prevents the
/// tossing itself). Two tokens under the name are [`AuthError::InvalidRequest`].
fn cookie_token<'a>(parts: &'a Parts, name: &str) -> Result<Option<Cow<'a, str>>, AuthError> {
    let mut found = None;
    for header in parts.headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            if pair[..eq].trim_ascii() != name.as_bytes() {
                continue;
            }
            // RFC 6265: a cookie value may be quoted.
            let value = pair[eq + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            let Some(token) = std::str::from_utf8(value).ok().filter(|v| is_b64token(v)) else {
                continue;
            };
            if found.is_some() {
                return Err(AuthError::InvalidRequest);
            }
            found = Some(Cow::Borrowed(token));
        }
    }
    Ok(found)
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

    fn text(bearer: Bearer<'_>) -> String {
        String::from_utf8_lossy(&bearer.token).into_owned()
    }

    fn header_only(parts: &Parts) -> Result<String, AuthError> {
        bearer_token(parts, &TokenSources::default()).map(text)
    }

    #[test]
    fn bearer_header_parsing() {
        let ok = |h: &str| header_only(&parts(&[("authorization", h)], "/"));
        assert_eq!(ok("Bearer abc").unwrap(), "abc");
        assert_eq!(ok("bearer abc").unwrap(), "abc");
        assert_eq!(ok("BEARER  abc").unwrap(), "abc");
        assert_eq!(ok("Basic dXNlcjpwYXNz"), Err(AuthError::MissingToken));
        assert_eq!(ok("Bearerabc"), Err(AuthError::MissingToken));
        // Bytes that are not UTF-8 (obs-text, which `http` lets through) after `Bearer` are
        // the token's, refused as malformed when it is parsed (tests/it/credentials.rs); after
        // another scheme they are not ours to judge.
        let raw = |value: &[u8]| {
            let mut parts = parts(&[], "/");
            let value = http::HeaderValue::from_bytes(value).unwrap();
            parts.headers.insert(AUTHORIZATION, value);
            header_only(&parts)
        };
        assert_eq!(raw(b"Bearer a\xffb").unwrap(), "a\u{fffd}b");
        assert_eq!(raw(b"Basic \xff"), Err(AuthError::MissingToken));
        assert_eq!(ok("Bearer"), Err(InvalidTokenReason::Malformed.into()));
        assert_eq!(ok("Bearer "), Err(InvalidTokenReason::Malformed.into()));
        assert_eq!(header_only(&parts(&[], "/")), Err(AuthError::MissingToken));
        let twice = parts(
            &[("authorization", "Bearer a"), ("authorization", "Bearer a")],
            "/",
        );
        assert_eq!(header_only(&twice), Err(AuthError::InvalidRequest));
        let query = parts(&[("authorization", "Bearer a")], "/x?access_token=a");
        assert_eq!(header_only(&query), Err(AuthError::InvalidRequest));
        let only_query = parts(&[], "/x?access_token=a");
        assert_eq!(header_only(&only_query), Err(AuthError::MissingToken));
        let other_query = parts(&[("authorization", "Bearer a")], "/x?token=a");
        assert_eq!(header_only(&other_query).unwrap(), "a");
    }

    #[test]
    fn opt_in_sources() {
        let sources = TokenSources {
            cookie: Some("session".into()),
            query: Some("access_token".into()),
        };
        let token = |headers: &[(&str, &str)], uri: &str| {
            bearer_token(&parts(headers, uri), &sources).map(text)
        };
        assert_eq!(token(&[], "/ws?access_token=a%2Eb").unwrap(), "a.b");
        assert_eq!(
            token(&[("cookie", "theme=dark; session=\"t.o.k\"")], "/").unwrap(),
            "t.o.k"
        );
        assert_eq!(token(&[("authorization", "Bearer h")], "/").unwrap(), "h");
        // Two places, or one place twice.
        for (headers, uri) in [
            (vec![("authorization", "Bearer h")], "/?access_token=q"),
            (
                vec![("authorization", "Bearer h"), ("cookie", "session=c")],
                "/",
            ),
            (vec![("cookie", "session=c")], "/?access_token=q"),
            (vec![], "/?access_token=a&access_token=b"),
            (vec![("cookie", "session=a"), ("cookie", "session=b")], "/"),
        ] {
            assert_eq!(
                token(&headers, uri),
                Err(AuthError::InvalidRequest),
                "{headers:?} {uri}"
            );
        }
        assert_eq!(
            token(&[], "/?access_token="),
            Err(InvalidTokenReason::Malformed.into())
        );
        assert_eq!(
            token(&[("cookie", "other=c")], "/"),
            Err(AuthError::MissingToken)
        );
        // An emptied cookie is no token, also beside a real one.
        assert_eq!(
            token(&[("cookie", "session=; theme=dark")], "/"),
            Err(AuthError::MissingToken)
        );
        // A pair that is not UTF-8 is skipped alone: the session cookie beside it counts.
        let mut request = parts(&[], "/");
        request.headers.insert(
            COOKIE,
            http::HeaderValue::from_bytes("pref=caf\u{e9}; session=t.o.k".as_bytes()).unwrap(),
        );
        assert_eq!(text(bearer_token(&request, &sources).unwrap()), "t.o.k");
        // A garbage cookie of the name (tossed from a sibling subdomain) is no second
        // credential beside the header, nor a token of its own.
        for garbage in ["session=x y", "session=\"a,b\"", "session={}"] {
            assert_eq!(
                token(&[("authorization", "Bearer h"), ("cookie", garbage)], "/").unwrap(),
                "h",
                "{garbage}"
            );
            assert_eq!(
                token(&[("cookie", garbage)], "/"),
                Err(AuthError::MissingToken)
            );
        }
        assert_eq!(
            token(&[("cookie", "session=\"\"; session=t.o.k")], "/").unwrap(),
            "t.o.k"
        );
        // Another parameter name: `access_token` is still a second copy beside it.
        let named = TokenSources {
            cookie: None,
            query: Some("token".into()),
        };
        let request = parts(&[], "/?token=t&access_token=a");
        assert_eq!(
            bearer_token(&request, &named),
            Err(AuthError::InvalidRequest)
        );
        let request = parts(&[], "/?token=t");
        assert_eq!(
            bearer_token(&request, &named).unwrap(),
            Bearer {
                token: Cow::Borrowed(b"t".as_slice()),
                place: Place::Query,
                header: None
            }
        );
    }
}
