//! `Cache-Control: private` on the answer to a request that carried its token in the URL or
//! in a cookie.

use http::header::CACHE_CONTROL;
use http::{HeaderValue, Response};

use crate::credentials::Place;

/// RFC 6750 §2.3: a response to a URL that holds a token is private; and shared caches keep
/// answers to `Authorization` requests private by themselves (RFC 9111 §3.5), not those to
/// cookies. Unless the inner service said otherwise.
pub(super) fn mark<B>(place: Option<Place>, response: &mut Response<B>) {
    if matches!(place, Some(Place::Query | Place::Cookie)) {
        response
            .headers_mut()
            .entry(CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("private"));
    }
}
