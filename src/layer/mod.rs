//! [`LogtoLayer`]: a tower layer that validates the bearer token of every request before the
//! inner service runs, for whole routers and for any tower service (a nested router, an MCP
//! server mounted with `nest_service`, a tonic gRPC server); per-operation policies for MCP
//! servers (`mcp`) and gRPC methods (`grpc_methods`), on the rules of `policy`.

#[cfg(feature = "tonic")]
mod grpc;
#[cfg(feature = "tonic")]
mod grpc_methods;
mod mcp;
mod policy;
mod private;

use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "tonic")]
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::IntoResponse;
use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

#[cfg(feature = "tonic")]
pub use grpc::AuthInfoExt;
#[cfg(feature = "tonic")]
pub use grpc_methods::GrpcPolicy;
pub use mcp::{McpLayer, McpPolicy, McpService};
#[cfg(fuzzing)]
pub(crate) use mcp::{body_operations, header_operation};

use crate::check::ClaimCheck;
use crate::credentials::Place;
use crate::rejection::AuthRejection;
use crate::scope::ScopeSet;
use crate::state::LogtoState;
use crate::token::Policy;
use policy::Gate;

/// Validates the bearer token of every request to the inner service, as the extractors do:
/// the same decision (an access token for this API, no organization-level token, and
/// optionally [scopes](Self::require_scopes) and a [claim check](Self::require_check)), the
/// same answers (statuses, `WWW-Authenticate`, JSON bodies, the
/// [rejection hook](crate::LogtoStateBuilder::on_rejection)).
///
/// On success the verified token's [`AuthInfo`](crate::AuthInfo) is put into the request's
/// extensions: an Axum handler reads it with `Extension<AuthInfo>` (or any extractor of this
/// crate, which finds the verified token there and does not verify it again), a tower service
/// with `request.extensions().get::<AuthInfo>()`. The extractors need the
/// [`LogtoState`] in the router's state (`FromRef`); behind the layer on a router without
/// state, read `Extension<AuthInfo>` instead (and `Option<Extension<AuthInfo>>` behind
/// [`optional`](Self::optional): a plain `Extension` answers 500 to a request without one).
///
/// Works with `Router::layer` (every route, and the fallback: unknown paths get 401 too),
/// `Router::route_layer` (matched routes only: unknown paths stay 404), and around any tower
/// service (`nest_service`, tonic's `Server::builder().layer(..)`). With the `tonic` feature,
/// a gRPC request (`content-type: application/grpc…`) is refused with a gRPC status instead
/// of an HTTP one (see `AuthInfoExt`).
///
/// A server that multiplexes many operations over one endpoint gives each its own scopes,
/// and refuses those it does not list: [`mcp`](Self::mcp) for an MCP server's tools,
/// resources, prompts and methods ([`McpPolicy`]), `grpc` for gRPC methods (`GrpcPolicy`,
/// feature `tonic`).
///
/// ```
/// use axum::{routing::get, Extension, Router};
/// use axum_logto::{scopes, AuthInfo, LogtoLayer, LogtoState};
///
/// scopes! { pub Admin = "admin"; }
///
/// async fn status(Extension(auth): Extension<AuthInfo>) -> String {
///     auth.sub().to_owned()
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let v1 = Router::new()
///     .route("/status", get(status))
///     .layer(LogtoLayer::new(logto.clone()));
/// let admin = Router::new()
///     .route("/stats", get(|| async { "stats" }))
///     .route_layer(LogtoLayer::new(logto.clone()).require_scopes::<Admin>());
/// let app: Router = Router::new().nest("/v1", v1).nest("/admin", admin);
/// ```
#[derive(Clone)]
pub struct LogtoLayer {
    gate: Gate,
    /// The scopes of each gRPC method, if set.
    #[cfg(feature = "tonic")]
    grpc: Option<Arc<GrpcPolicy>>,
}

impl LogtoLayer {
    /// A layer that requires a valid access token for this API on every request.
    pub fn new(logto: LogtoState) -> Self {
        Self {
            gate: Gate {
                logto,
                optional: false,
                policy: Policy::global(),
            },
            #[cfg(feature = "tonic")]
            grpc: None,
        }
    }

    /// Lets requests without a token through (with no `AuthInfo` in their extensions: read it
    /// with `Option<Extension<AuthInfo>>`, since a plain `Extension` answers 500 to them); a
    /// request with a bad token is still refused. A request with another scheme
    /// (`Authorization: DPoP …`, `Basic …`) carries no bearer token and passes as anonymous.
    /// With a per-operation policy ([`mcp`](Self::mcp), `grpc`), only to the operations that
    /// need no scope. Default: a token is required.
    pub fn optional(mut self) -> Self {
        self.gate.optional = true;
        self
    }

    /// Requires the scopes `S` too (a [`scopes!`](crate::scopes) marker, a tuple of them, or
    /// [`AnyOf`](crate::AnyOf)): 403 `insufficient_scope` naming them otherwise, as
    /// [`RequireScopes<S>`](crate::RequireScopes). With a per-operation policy, of every
    /// operation, before its own scopes. Default: no scope.
    pub fn require_scopes<S: ScopeSet>(mut self) -> Self {
        self.gate.policy = self.gate.policy.scopes::<S>();
        self
    }

    /// Requires that the token passes the claim check `K` too (for instance
    /// [`MachineOnly`](crate::MachineOnly)): 403 with its description otherwise, as
    /// [`RequireCheck<K>`](crate::RequireCheck). Default: none.
    pub fn require_check<K: ClaimCheck>(mut self) -> Self {
        self.gate.policy = self.gate.policy.check::<K>();
        self
    }

    /// Scopes per gRPC method (feature `tonic`): each call is decided with the scopes
    /// `methods` lists for its `/package.Service/Method` path, and a method it does not
    /// list is refused with `permission_denied` (see [`GrpcPolicy`]). Default: every method
    /// needs only what the layer needs.
    #[cfg(feature = "tonic")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
    pub fn grpc(mut self, methods: GrpcPolicy) -> Self {
        self.grpc = Some(Arc::new(methods));
        self
    }

    /// Scopes per MCP operation: the layer for an MCP server (rmcp's `StreamableHttpService`
    /// under `nest_service`, say) that decides each JSON-RPC request with the scopes
    /// `policy` lists for its method, tool, resource or prompt, and refuses what it does not
    /// list with 403 `insufficient_scope` (see [`McpPolicy`]).
    pub fn mcp(self, policy: McpPolicy) -> McpLayer {
        McpLayer::new(self.gate, policy)
    }
}

impl std::fmt::Debug for LogtoLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("LogtoLayer");
        debug
            .field("optional", &self.gate.optional)
            .field("policy", &self.gate.policy);
        #[cfg(feature = "tonic")]
        debug.field("grpc", &self.grpc);
        debug.finish_non_exhaustive()
    }
}

impl<I> Layer<I> for LogtoLayer {
    type Service = LogtoService<I>;

    fn layer(&self, inner: I) -> Self::Service {
        LogtoService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of a [`LogtoLayer`].
pub struct LogtoService<I> {
    inner: I,
    layer: LogtoLayer,
}

impl<I: Clone> Clone for LogtoService<I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<I> std::fmt::Debug for LogtoService<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogtoService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<I, ReqBody, ResBody> Service<Request<ReqBody>> for LogtoService<I>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    I::Future: Send + 'static,
    ReqBody: Send + 'static,
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
            match authorize(&mut parts, &layer).await {
                Ok(place) => {
                    let mut response = inner.call(Request::from_parts(parts, body)).await?;
                    private::mark(place, &mut response);
                    Ok(response.map(Body::new))
                }
                Err(rejection) => Ok(refuse(&parts, rejection)),
            }
        })
    }
}

/// The extractors' own path, with the layer's policy (or, for a gRPC call behind a
/// [`GrpcPolicy`], its method's); see [`Gate`]. Where the token was, if the request had one.
async fn authorize(parts: &mut Parts, layer: &LogtoLayer) -> Result<Option<Place>, AuthRejection> {
    #[cfg(feature = "tonic")]
    if let Some(methods) = &layer.grpc {
        let rule = methods.rule(parts.uri.path());
        return layer.gate.grant_operation(parts, rule).await;
    }
    layer.gate.grant(parts).await
}

/// The answer to a refused request: a gRPC status to a gRPC client (feature `tonic`), else
/// the extractors' response.
fn refuse(parts: &Parts, rejection: AuthRejection) -> Response<Body> {
    #[cfg(feature = "tonic")]
    if grpc::is_grpc(parts) {
        return grpc::refuse(&rejection);
    }
    let _ = parts;
    rejection.into_response()
}

// Read by the OpenAPI integration (src/openapi), which documents what a layer requires.
#[cfg(any(feature = "aide", feature = "utoipa"))]
impl LogtoLayer {
    /// What the layer requires beyond a valid token.
    pub(crate) fn policy(&self) -> &Policy<'static> {
        &self.gate.policy
    }

    /// Whether requests without a token pass.
    pub(crate) fn is_optional(&self) -> bool {
        self.gate.optional
    }
}
