//! One capped, timed GET of a discovery document or a JWK set, and the default HTTP client.

use std::time::Duration;

use url::Url;

use super::error::{Document, KeyFetchError, KeyFetchErrorKind};
use crate::settings::{display_url, is_secure_url, same_origin};

/// How many redirects the default client follows (all on the origin asked).
const MAX_REDIRECTS: usize = 3;

/// The client used when the user supplies none: rustls, a user agent naming this crate, and
/// at most [`MAX_REDIRECTS`] redirects, each on the origin first asked.
pub(crate) fn default_client() -> Result<reqwest::Client, reqwest::Error> {
    // A JWKS served from elsewhere is not the issuer's key set.
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| same_origin(first, attempt.url()));
        if attempt.previous().len() > MAX_REDIRECTS || !same {
            attempt.error("redirect refused: at most 3 redirects, all on the origin asked")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .redirect(policy)
        .user_agent(concat!("axum-logto/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// GET `url` with `timeout` over the whole exchange (connect, headers, body) and a cap of
/// `max` bytes on the body, with or without `Content-Length`.
pub(crate) async fn get(
    client: &reqwest::Client,
    document: Document,
    url: &Url,
    timeout: Duration,
    max: usize,
) -> Result<Vec<u8>, KeyFetchError> {
    let exchange = async {
        let mut response = client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(KeyFetchError::from_reqwest)?;
        // A client supplied by the user follows its own redirect policy: whatever it followed,
        // the answer must come from the origin asked, over https or loopback.
        let landed = response.url();
        if !same_origin(landed, url) || !is_secure_url(landed) {
            let cause = format!("the answer came from {}", display_url(landed));
            return Err(KeyFetchError::new(KeyFetchErrorKind::Transport).with_cause(cause));
        }
        let status = response.status();
        if !status.is_success() {
            return Err(KeyFetchError::new(KeyFetchErrorKind::Status(
                status.as_u16(),
            )));
        }
        read_capped(&mut response, max)
            .await
            .map_err(KeyFetchError::from_reqwest)?
            .ok_or_else(|| KeyFetchError::new(KeyFetchErrorKind::TooLarge))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(KeyFetchError::timeout(timeout)))
        .map_err(|error| error.at(document, url))
}

/// The body of `response`, or `None` when it is larger than `max` bytes (by its
/// `Content-Length`, or as it streams in: the rest is never read).
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
