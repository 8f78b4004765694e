//! The `Authorization` header parsing with arbitrary headers and query string. Never panics;
//! with the header alone, a token it returns is part of the one `Authorization` header's value,
//! with no leading space; with the cookie and query sources on, it never returns an empty one.
//!
//! Input, line by line (`\n`): the first line is the query string (none when empty); each
//! further line is the value of one `Authorization` header, or, when it starts with `>`,
//! `name:value` of another header.
#![no_main]

use axum_logto::fuzz::bearer_token;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|b| *b == b'\n');
    let query = lines.next().unwrap_or_default();
    let mut request = http::Request::builder();
    if !query.is_empty() {
        let mut path = b"/api?".to_vec();
        path.extend_from_slice(query);
        if let Ok(uri) = http::Uri::try_from(path) {
            request = request.uri(uri);
        }
    }
    let Ok(request) = request.body(()) else {
        return;
    };
    let (mut parts, ()) = request.into_parts();
    for line in lines {
        let (name, value) = match line.strip_prefix(b">") {
            Some(other) => {
                let at = other.iter().position(|b| *b == b':').unwrap_or(other.len());
                let Ok(name) = HeaderName::from_bytes(&other[..at]) else {
                    continue;
                };
                (name, other.get(at + 1..).unwrap_or_default())
            }
            None => (AUTHORIZATION, line),
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            parts.headers.append(name, value);
        }
    }

    // With the cookie and query sources on too: never panics, and a token is never empty.
    if let Ok(token) = bearer_token(&parts, Some("session"), Some("access_token")) {
        assert!(!token.is_empty(), "an empty token from a source");
    }

    let Ok(token) = bearer_token(&parts, None, None) else {
        return;
    };
    let values: Vec<&HeaderValue> = parts.headers.get_all(AUTHORIZATION).iter().collect();
    assert_eq!(
        values.len(),
        1,
        "a token from several Authorization headers"
    );
    let value = values[0].as_bytes();
    let within = value.as_ptr_range();
    let range = token.as_ptr_range();
    assert!(
        within.start <= range.start && range.end <= within.end,
        "the token {token:?} is not part of the header value {value:?}"
    );
    assert!(!token.is_empty(), "an empty token");
    assert!(
        token.first() != Some(&b' '),
        "a token with a leading space: {token:?}"
    );
    assert!(
        value.len() > 6 && value[..6].eq_ignore_ascii_case(b"bearer") && value[6] == b' ',
        "a token from a header without the Bearer scheme: {value:?}"
    );
    let query = parts.uri.query().unwrap_or_default();
    assert!(
        !url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token"),
        "a token accepted while the query also carries one"
    );
});
