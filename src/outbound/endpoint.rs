//! One token request to the tenant's token endpoint: `client_secret_basic`, a form body, a
//! timeout, a capped answer, and retries for what may pass (timeouts, 5xx).

use std::time::Duration;

use serde::Deserialize;
use url::form_urlencoded;

use super::error::{TokenRequestError, TokenRequestErrorKind};
use super::token::AccessToken;
use crate::keys::read_capped;

/// The largest answer read: 64 KiB (a token response is a few KiB at most).
const MAX_ANSWER: usize = 64 * 1024;
/// Waits before the retries of a transient failure.
const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(800)];

/// Where and as whom token requests go.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) url: String,
    pub(crate) client: reqwest::Client,
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) timeout: Duration,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Deserialize)]
struct Answer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<f64>,
    #[serde(default)]
    scope: Option<String>,
}

/// An error response (RFC 6749 §5.2).
#[derive(Deserialize)]
struct Refusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl Endpoint {
    /// `grant_type` with `form`: retried after a transient failure, twice, with backoff.
    pub(crate) async fn request(
        &self,
        form: &[(&str, String)],
    ) -> Result<AccessToken, TokenRequestError> {
        let mut attempt = 0;
        loop {
            match self.once(form).await {
                Err(error) if error.is_transient() && attempt < BACKOFF.len() => {
                    tracing::debug!(attempt, "{error}; retrying");
                    tokio::time::sleep(BACKOFF[attempt]).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn once(&self, form: &[(&str, String)]) -> Result<AccessToken, TokenRequestError> {
        let error = |kind| TokenRequestError::new(kind, &self.url);
        let from_reqwest = |e: reqwest::Error| {
            let kind = if e.is_timeout() {
                TokenRequestErrorKind::Timeout
            } else {
                TokenRequestErrorKind::Transport
            };
            // Without the URL: it is named once, by the error itself.
            error(kind).with_cause(e.without_url())
        };
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined.
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let exchange = async {
            let mut response = self
                .client
                .post(&self.url)
                .basic_auth(encode(&self.app_id), Some(encode(&self.app_secret)))
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(http::header::ACCEPT, "application/json")
                .body(body)
                .send()
                .await
                .map_err(from_reqwest)?;
            let status = response.status();
            let answer = read_capped(&mut response, MAX_ANSWER)
                .await
                .map_err(from_reqwest)?
                .ok_or_else(|| error(TokenRequestErrorKind::InvalidResponse))?;
            if !status.is_success() {
                return Err(match serde_json::from_slice::<Refusal>(&answer) {
                    Ok(refusal) if status.is_client_error() => TokenRequestError::refused(
                        &self.url,
                        refusal.error,
                        refusal.error_description,
                    ),
                    // A 5xx keeps its kind (it is retried) and what Logto said, if anything.
                    Ok(refusal) => error(TokenRequestErrorKind::Status(status.as_u16()))
                        .saying(refusal.error, refusal.error_description),
                    Err(_) => error(TokenRequestErrorKind::Status(status.as_u16())),
                });
            }
            let answer: Answer = serde_json::from_slice(&answer)
                .map_err(|_| error(TokenRequestErrorKind::InvalidResponse))?;
            // A token without `expires_in` is taken as living a minute (it is not kept long).
            let lifetime = answer
                .expires_in
                .filter(|s| *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .unwrap_or(Duration::from_secs(60));
            AccessToken::new(answer.access_token, lifetime, answer.scope)
                .ok_or_else(|| error(TokenRequestErrorKind::InvalidResponse))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(error(TokenRequestErrorKind::Timeout)))
    }
}
