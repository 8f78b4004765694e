//! [`McpLayer`] and [`McpService`]: [`LogtoLayer`](crate::LogtoLayer) with an
//! [`McpPolicy`], in front of an MCP server's streamable HTTP endpoint.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::IntoResponse;
use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;

use super::McpPolicy;
use super::body;
use super::error::McpError;
use super::headers::Named;
use crate::credentials::Place;
use crate::layer::policy::{Gate, Rule};
use crate::layer::private;

/// [`LogtoLayer`](crate::LogtoLayer) with scopes per MCP operation: made by
/// [`LogtoLayer::mcp`](crate::LogtoLayer::mcp), see [`McpPolicy`] for what it decides and how.
/// Like `LogtoLayer`, it goes on a router (`route_layer`, `layer`) or around any tower service,
/// and leaves the caller's [`AuthInfo`](crate::AuthInfo) in the request's extensions; the
/// inner service receives an Axum [`Body`] (the request's own, or the bytes read from it).
///
/// ```
/// use std::convert::Infallible;
///
/// use axum::{Router, extract::Request};
/// use axum_logto::{scopes, LogtoLayer, LogtoState, McpPolicy};
///
/// scopes! { pub WriteNotes = "write:notes"; }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://mcp.example.com/")
///     .build()
///     .unwrap();
/// let policy = McpPolicy::new().tool::<()>("whoami").tool::<WriteNotes>("add_note");
/// // rmcp's `StreamableHttpService` in a real server:
/// let mcp = tower::service_fn(|_: Request| async { Ok::<_, Infallible>("{}") });
/// let app: Router = Router::new()
///     .nest_service("/mcp", mcp)
///     .route_layer(LogtoLayer::new(logto).mcp(policy));
/// ```
#[derive(Clone)]
pub struct McpLayer(Arc<Shared>);

/// What every request of one layer reads (one reference count per request).
struct Shared {
    gate: Gate,
    policy: McpPolicy,
}

impl McpLayer {
    pub(in crate::layer) fn new(gate: Gate, policy: McpPolicy) -> Self {
        Self(Arc::new(Shared { gate, policy }))
    }
}

impl fmt::Debug for McpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpLayer")
            .field("optional", &self.0.gate.optional)
            .field("policy", &self.0.gate.policy)
            .field("mcp", &self.0.policy)
            .finish_non_exhaustive()
    }
}

impl<I> Layer<I> for McpLayer {
    type Service = McpService<I>;

    fn layer(&self, inner: I) -> Self::Service {
        McpService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of an [`McpLayer`].
pub struct McpService<I> {
    inner: I,
    layer: McpLayer,
}

impl<I: Clone> Clone for McpService<I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<I> fmt::Debug for McpService<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<I, ReqBody, ResBody> Service<Request<ReqBody>> for McpService<I>
where
    I: Service<Request<Body>, Response = Response<ResBody>> + Clone + Send + 'static,
    I::Future: Send + 'static,
    ReqBody: http_body::Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = I::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, I::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone takes the place of the service made ready by `poll_ready`, which serves
        // this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match admit(&mut parts, body, &layer).await {
                Ok((body, place)) => {
                    let mut response = inner.call(Request::from_parts(parts, body)).await?;
                    private::mark(place, &mut response);
                    Ok(response.map(Body::new))
                }
                Err(refusal) => Ok(refusal),
            }
        })
    }
}

/// Decides the request: the body to hand on and where the token was, or the answer.
///
/// 1. Not a POST: no JSON-RPC message, the layer's own policy.
/// 2. Headers that name the operation at a revision whose server checks them: the
///    operation's rule, the body untouched.
/// 3. Else the token first (no body is buffered for a request without a valid one), then
///    the body, each message's rule, the headers checked against it.
///
/// A request whose operation cannot be told is answered after its token passed, so that a
/// bad or missing token is still 401 first.
async fn admit<B>(
    parts: &mut Parts,
    body: B,
    layer: &McpLayer,
) -> Result<(Body, Option<Place>), Response<Body>>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let McpLayer(shared) = layer;
    let (gate, policy) = (&shared.gate, &shared.policy);
    if parts.method != Method::POST {
        let place = gate
            .grant(parts)
            .await
            .map_err(IntoResponse::into_response)?;
        return Ok((Body::new(body), place));
    }
    let named = Named::read(&parts.headers).map(|named| {
        let trusted = named.operation().filter(|_| !policy.always_read_body);
        trusted.map(|(method, name)| policy.rule(method, name))
    });
    let from_headers = match named {
        Ok(rule) => rule,
        Err(error) => {
            gate.grant(parts)
                .await
                .map_err(IntoResponse::into_response)?;
            return Err(error.response(None));
        }
    };
    if let Some(rule) = from_headers {
        let place = gate
            .grant_operation(parts, rule)
            .await
            .map_err(IntoResponse::into_response)?;
        return Ok((Body::new(body), place));
    }
    let place = gate
        .grant(parts)
        .await
        .map_err(IntoResponse::into_response)?;
    let bytes = body::read(&parts.headers, body, policy.max_body_size)
        .await
        .map_err(|error| error.response(None))?;
    let rules = rules(parts, &bytes, policy).map_err(|(error, id)| error.response(id.as_ref()))?;
    for rule in rules {
        gate.grant_rule(parts, rule)
            .await
            .map_err(IntoResponse::into_response)?;
    }
    Ok((Body::from(bytes), place))
}

/// The rules of the body's operations, each once (a refusal first), its headers checked
/// against it; or why it cannot be read, and the id of its one request.
fn rules(
    parts: &Parts,
    bytes: &[u8],
    policy: &McpPolicy,
) -> Result<Vec<Rule>, (McpError, Option<Value>)> {
    let messages = body::messages(bytes)?;
    let operations = || messages.iter().map(|message| message.operation.as_ref());
    Named::read(&parts.headers)
        .and_then(|named| named.check(operations()))
        .map_err(|error| match messages.as_slice() {
            [message] => (error, message.id.clone()),
            _ => (error, None),
        })?;
    let mut rules: Vec<Rule> = Vec::new();
    for rule in operations()
        .flatten()
        .map(|operation| policy.rule(&operation.method, operation.name.as_deref()))
    {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    // A refused operation refuses the batch, whatever the others need.
    rules.sort_by_key(|rule| *rule != Rule::Refuse);
    Ok(rules)
}
