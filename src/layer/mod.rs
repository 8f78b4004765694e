//! [`LogtoLayer`]: a tower layer that validates the bearer token of every request before the
//! inner service runs, for whole routers and for any tower service (a nested router, an MCP
//! server mounted with `nest_service`, a tonic gRPC server).

#[cfg(feature = "tonic")]
mod grpc;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::IntoResponse;
use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::request::Parts;
use http::{HeaderValue, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

#[cfg(feature = "tonic")]
pub use grpc::AuthInfoExt;

use crate::claims::NoClaims;
use crate::credentials::{bearer_token, token_in_query};
use crate::error::AuthError;
use crate::extract::{AnyOrg, grant, pass};
use crate::rejection::AuthRejection;
use crate::scope::ScopeSet;
use crate::state::LogtoState;
use crate::token::Model;

/// Validates the bearer token of every request to the inner service, as the extractors do:
/// the same rules (an access token for this API, no organization-level token), the same
/// answers (statuses, `WWW-Authenticate`, JSON bodies, the
/// [rejection hook](crate::LogtoStateBuilder::on_rejection)), and optionally the scopes `S`.
///
/// On success the verified token's [`AuthInfo`](crate::AuthInfo) is put into the request's
/// extensions: an Axum handler reads it with `Extension<AuthInfo>` (or any extractor of this
/// crate, which finds the verified token there and does not verify it again), a tower service
/// with `request.extensions().get::<AuthInfo>()`.
///
/// Works with `Router::layer` (every route, and the fallback: unknown paths get 401 too),
/// `Router::route_layer` (matched routes only: unknown paths stay 404), and around any tower
/// service (`nest_service`, tonic's `Server::builder().layer(..)`). With the `tonic` feature,
/// a gRPC request (`content-type: application/grpc…`) is refused with a gRPC status instead
/// of an HTTP one (see [`AuthInfoExt`]).
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
pub struct LogtoLayer<S = ()> {
    logto: LogtoState,
    optional: bool,
    _scopes: PhantomData<fn() -> S>,
}

impl LogtoLayer {
    /// A layer that requires a valid access token for this API on every request.
    pub fn new(logto: LogtoState) -> Self {
        Self {
            logto,
            optional: false,
            _scopes: PhantomData,
        }
    }
}

impl<S> LogtoLayer<S> {
    /// Lets requests without a token through (with no `AuthInfo` in their extensions); a
    /// request with a bad token is still refused. Default: a token is required.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Requires the scopes `T` too (a [`scopes!`](crate::scopes) marker, a tuple of them, or
    /// [`AnyOf`](crate::AnyOf)): 403 `insufficient_scope` naming them otherwise. Default: no
    /// scope.
    pub fn require_scopes<T: ScopeSet>(self) -> LogtoLayer<T> {
        LogtoLayer {
            logto: self.logto,
            optional: self.optional,
            _scopes: PhantomData,
        }
    }
}

impl<S> Clone for LogtoLayer<S> {
    fn clone(&self) -> Self {
        Self {
            logto: self.logto.clone(),
            optional: self.optional,
            _scopes: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for LogtoLayer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogtoLayer")
            .field("optional", &self.optional)
            .field("scopes", &std::any::type_name::<S>())
            .finish_non_exhaustive()
    }
}

impl<I, S> Layer<I> for LogtoLayer<S> {
    type Service = LogtoService<I, S>;

    fn layer(&self, inner: I) -> Self::Service {
        LogtoService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of a [`LogtoLayer`].
pub struct LogtoService<I, S = ()> {
    inner: I,
    layer: LogtoLayer<S>,
}

impl<I: Clone, S> Clone for LogtoService<I, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<I, S> std::fmt::Debug for LogtoService<I, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogtoService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<I, S, ReqBody, ResBody> Service<Request<ReqBody>> for LogtoService<I, S>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    I::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
    S: ScopeSet,
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
            match authorize::<S>(&mut parts, &layer).await {
                Ok(()) => {
                    let from_query = token_in_query(&parts, layer.logto.token_sources());
                    let mut response = inner.call(Request::from_parts(parts, body)).await?;
                    if from_query {
                        // RFC 6750 §2.3: a response to a URL that holds a token is private.
                        response
                            .headers_mut()
                            .entry(CACHE_CONTROL)
                            .or_insert(HeaderValue::from_static("private"));
                    }
                    Ok(response.map(Body::new))
                }
                Err(rejection) => Ok(refuse(&parts, rejection)),
            }
        })
    }
}

/// The extractors' own path (steps 1-5 once per request, then the scopes), for a global
/// route; the verified token is left in the extensions for later extractors, and its
/// `AuthInfo` for the inner service.
async fn authorize<S: ScopeSet>(
    parts: &mut Parts,
    layer: &LogtoLayer<S>,
) -> Result<(), AuthRejection> {
    let logto = &layer.logto;
    if layer.optional && bearer_token(parts, logto.token_sources()) == Err(AuthError::MissingToken)
    {
        return Ok(());
    }
    let granted = grant::<(), AnyOrg, S, NoClaims>(parts, logto, &(), Model::Global, pass)
        .await
        .map_err(|error| logto.reject_for(error, S::required()))?;
    parts.extensions.insert(granted.info);
    Ok(())
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
