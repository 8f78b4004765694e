//! [`LogtoWebhook`]: Logto's signed webhooks turned into revocation rules.
//!
//! - `signature`: the HMAC-SHA256 check over the raw body, in constant time;
//! - `event`: what each Logto event means for the tokens it issued.

mod event;
mod signature;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, StatusCode};

use signature::SigningKey;
#[cfg(feature = "test-util")]
pub(crate) use signature::sign;

use crate::revocation::{Revocation, Revocations};
use crate::telemetry;
use event::{Delivery, Meaning, parse_time};

/// The header that carries the signature.
const SIGNATURE: &str = "logto-signature-sha-256";
/// Default of [`LogtoWebhook::max_age`]: 5 minutes.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// Default of [`LogtoWebhook::max_body_size`]: 64 KiB.
const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// How far ahead of this clock a delivery may say it was made (clock skew).
const FUTURE_SKEW: f64 = 60.0;

/// The endpoint for Logto's webhooks: each signed delivery that takes something away (a user
/// suspended or deleted, a member removed from an organization, a scope taken from a role…)
/// becomes a [`Revocation`] of the tokens issued before it, refused by every extractor, the
/// layer and `authorize` from then on — on every replica, with a
/// [revocation store](crate::LogtoStateBuilder::revocation_store). Made by
/// [`LogtoState::webhook`](crate::LogtoState::webhook).
///
/// Register it in Logto (Console → Webhooks, or `POST /api/hooks` of the Management API) with
/// the URL it is served at and the events below, and give it the hook's signing key. Each
/// delivery is checked before anything is read of it:
///
/// - `logto-signature-sha-256` must be the HMAC-SHA256 of the raw body under the signing key
///   (compared in constant time): else 401;
/// - the body is at most [`max_body_size`](Self::max_body_size) (64 KiB): else 413;
/// - `createdAt` is at most [`max_age`](Self::max_age) old (5 minutes; a replayed or much
///   delayed delivery): else 400;
/// - the same delivery twice changes nothing (rules only widen), and the answer (204) comes
///   at once: the rules hold in this process before it, and are shared with the store after.
///
/// | Logto event | rule | why |
/// |---|---|---|
/// | `User.SuspensionStatus.Updated`, `isSuspended: true` | the user's tokens | a suspended user's tokens stop at once (Logto ends its sessions, not its JWTs) |
/// | `User.SuspensionStatus.Updated`, `isSuspended: false` | none | nothing is taken away |
/// | `User.Deleted` | the user's tokens | |
/// | `Organization.Membership.Updated`, a member removed (`DELETE`, a user or an application), members replaced (`PUT`), or no method named | every token for the organization | the delivery names the organization (and at most who left), never what the remaining members may do now; members fetch a fresh token, former members cannot |
/// | `Organization.Membership.Updated`, members added (`POST`: added, an invitation accepted, just-in-time provisioning) | none | nobody loses anything |
/// | `Organization.Deleted` | every token for the organization | |
/// | `Role.Scopes.Updated`, `OrganizationRole.Scopes.Updated`, a scope removed (`DELETE`, `PUT`, or no method named) | every token (an epoch) | neither the role's holders nor the scope's name is in the delivery, and tokens carry scopes, not roles |
/// | `Role.Scopes.Updated`, `OrganizationRole.Scopes.Updated`, scopes added (`POST`) | none | |
/// | `Role.Deleted`, `Scope.Deleted`, `OrganizationRole.Deleted`, `OrganizationScope.Deleted` | every token (an epoch) | as above: the delivery names ids only |
/// | every other event (`*.Created`, `*.Data.Updated`, sign-in events, `Identifier.Lockout`), and Logto's test deliveries | none | nothing is taken away; a test delivery is signed like a real one and must not revoke |
///
/// What no event says in Logto 1.37, so no rule can follow: a user's or an application's
/// roles assigned or removed (globally or in an organization), an application deleted or its
/// secret changed, and an organization role's API-resource scopes changed. Keep token
/// lifetimes short for those, or revoke by hand ([`LogtoState::revoke`](crate::LogtoState::revoke)).
/// Logto sends each delivery once (no retry), so one lost while the API is down is lost:
/// its recent logs (`GET /api/hooks/:id/recent-logs`) show them.
///
/// ```
/// use axum::Router;
/// use axum_logto::LogtoState;
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let signing_key = std::env::var("LOGTO_WEBHOOK_SIGNING_KEY").unwrap_or_default();
/// let app: Router = Router::new().merge(logto.webhook(signing_key).router("/webhooks/logto"));
/// ```
#[derive(Clone)]
#[must_use = "serve it with `.router(path)`"]
pub struct LogtoWebhook {
    rules: Arc<Revocations>,
    key: SigningKey,
    max_age: Duration,
    max_body: usize,
}

impl std::fmt::Debug for LogtoWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogtoWebhook")
            .field("key", &self.key)
            .field("max_age", &self.max_age)
            .field("max_body_size", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// A refusal of a delivery: its status, and a fixed code and description.
fn refuse(status: StatusCode, code: &'static str, description: &'static str) -> Response {
    let body = serde_json::json!({"error": code, "error_description": description}).to_string();
    (
        status,
        [(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

impl LogtoWebhook {
    pub(crate) fn new(rules: Arc<Revocations>, signing_key: &str) -> Self {
        Self {
            rules,
            key: SigningKey::new(signing_key),
            max_age: DEFAULT_MAX_AGE,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// The oldest delivery taken (by its `createdAt`): an older one is refused as a replay.
    /// Logto builds a delivery just after the change and sends it at once, so this only has to
    /// cover clock skew and a slow network. Default: 5 minutes.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The largest body taken; a larger one is 413 and never read past the limit. Logto's
    /// deliveries are a few KiB. Default: 64 KiB.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// A router that takes Logto's deliveries at `POST path`. Merge it into your app outside
    /// any authentication (Logto signs its deliveries; it sends no token).
    pub fn router<S: Clone + Send + Sync + 'static>(self, path: &str) -> Router<S> {
        let webhook = Arc::new(self);
        Router::new().route(
            path,
            post(move |headers: HeaderMap, body: Body| {
                let webhook = webhook.clone();
                async move { webhook.receive(&headers, body).await }
            }),
        )
    }

    async fn receive(&self, headers: &HeaderMap, body: Body) -> Response {
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > self.max_body as u64) {
            return refused("too_large", too_large());
        }
        let Ok(body) = axum::body::to_bytes(body, self.max_body).await else {
            return refused("too_large", too_large());
        };
        let mut signatures = headers.get_all(SIGNATURE).iter();
        let signed = match (signatures.next(), signatures.next()) {
            (Some(signature), None) => self.key.verifies(&body, signature.as_bytes()),
            _ => false,
        };
        if !signed {
            return refused(
                "bad_signature",
                refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_signature",
                    "the delivery is not signed with this webhook's signing key",
                ),
            );
        }
        let Ok(delivery) = serde_json::from_slice::<Delivery>(&body) else {
            return refused("invalid", invalid());
        };
        let Some(at) = parse_time(&delivery.created_at) else {
            return refused("invalid", invalid());
        };
        let now = crate::revocation::seconds_now();
        if at < now - self.max_age.as_secs_f64() || at > now + FUTURE_SKEW {
            tracing::info!(
                event = %crate::redact::Redacted(&delivery.event),
                "a Logto webhook delivery is too old or from the future (a replay?): refused"
            );
            return refused(
                "stale",
                refuse(
                    StatusCode::BAD_REQUEST,
                    "stale_event",
                    "the delivery was made too long ago",
                ),
            );
        }
        let event = event_label(&delivery.event);
        match delivery.meaning(at) {
            Meaning::Nothing(why) => {
                tracing::debug!(event, why, "Logto webhook: no revocation");
                telemetry::webhook(event, "ignored");
            }
            Meaning::Revoke(rules) => {
                for rule in rules {
                    self.apply(event, rule);
                }
                telemetry::webhook(event, "applied");
            }
        }
        StatusCode::NO_CONTENT.into_response()
    }

    /// Applies `rule` here at once, and shares it through the store after the answer.
    fn apply(&self, event: &'static str, rule: Revocation) {
        tracing::info!(event, rule = ?rule, "Logto webhook: revoking tokens issued before the event");
        self.rules.apply(&rule);
        if self.rules.has_store()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let rules = self.rules.clone();
            handle.spawn(async move {
                let _ = rules.revoke(rule).await;
            });
        }
    }
}

/// Counts and logs a refused delivery.
fn refused(outcome: &'static str, response: Response) -> Response {
    tracing::debug!(
        outcome,
        status = response.status().as_u16(),
        "Logto webhook delivery refused"
    );
    telemetry::webhook("unknown", outcome);
    response
}

fn too_large() -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the delivery is larger than this webhook takes",
    )
}

fn invalid() -> Response {
    refuse(
        StatusCode::BAD_REQUEST,
        "invalid_payload",
        "the delivery is not a Logto webhook payload",
    )
}

/// The event's name as a metrics label: one of Logto's, or `other` (a fixed set).
fn event_label(event: &str) -> &'static str {
    const EVENTS: &[&str] = &[
        "PostRegister",
        "PostSignIn",
        "PostSignInAdaptiveMfaTriggered",
        "PostResetPassword",
        "User.Created",
        "User.Deleted",
        "User.Data.Updated",
        "User.SuspensionStatus.Updated",
        "Role.Created",
        "Role.Deleted",
        "Role.Data.Updated",
        "Role.Scopes.Updated",
        "Scope.Created",
        "Scope.Deleted",
        "Scope.Data.Updated",
        "Organization.Created",
        "Organization.Deleted",
        "Organization.Data.Updated",
        "Organization.Membership.Updated",
        "OrganizationRole.Created",
        "OrganizationRole.Deleted",
        "OrganizationRole.Data.Updated",
        "OrganizationRole.Scopes.Updated",
        "OrganizationScope.Created",
        "OrganizationScope.Deleted",
        "OrganizationScope.Data.Updated",
        "Identifier.Lockout",
    ];
    EVENTS
        .iter()
        .find(|known| **known == event)
        .copied()
        .unwrap_or("other")
}
