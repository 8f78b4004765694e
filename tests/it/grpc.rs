//! gRPC with tonic (feature `tonic`): a real tonic server behind `LogtoLayer`, called by a real
//! tonic client over loopback. The services are tonic-health's generated ones (no `protoc`):
//! its ready-made health service, and our own implementation of the `Health` trait that reads
//! the caller's `AuthInfo` from the request; and a `GrpcPolicy` that gives each method its
//! scopes and refuses the methods it does not list.

use std::time::Duration;

use crate::common::API;
use axum_logto::testing::TestIssuer;
use axum_logto::{AuthInfoExt as _, GrpcPolicy, LogtoLayer, LogtoState, scopes};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_check_response};

scopes! { ReadDocs = "read:docs"; }

/// A health service that answers SERVING and names the caller in the `x-sub` metadata.
struct WhoAmI;

#[tonic::async_trait]
impl Health for WhoAmI {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let auth = request
            .auth_info()
            .ok_or_else(|| Status::internal("the layer did not pass the AuthInfo"))?;
        let mut response = Response::new(HealthCheckResponse {
            status: health_check_response::ServingStatus::Serving as i32,
        });
        let sub = auth.sub().parse().map_err(|_| Status::internal("sub"))?;
        response.metadata_mut().insert("x-sub", sub);
        Ok(response)
    }

    type WatchStream = tonic::codegen::tokio_stream::Empty<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch"))
    }
}

/// A tonic server on loopback: tonic-health's own service behind a layer that needs a
/// token, and `WhoAmI` behind one that needs `read:docs` too (each its own server).
async fn server(logto: &LogtoState, scoped: bool) -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = TcpIncoming::from(listener);
    if scoped {
        let layer = LogtoLayer::new(logto.clone()).require_scopes::<ReadDocs>();
        tokio::spawn(
            Server::builder()
                .layer(layer)
                .add_service(HealthServer::new(WhoAmI))
                .serve_with_incoming(incoming),
        );
    } else {
        let (_reporter, health) = tonic_health::server::health_reporter();
        tokio::spawn(
            Server::builder()
                .layer(LogtoLayer::new(logto.clone()))
                .add_service(health)
                .serve_with_incoming(incoming),
        );
    }
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap()
}

fn request(authorization: &[&str]) -> Request<HealthCheckRequest> {
    let mut request = Request::new(HealthCheckRequest {
        service: String::new(),
    });
    for value in authorization {
        request
            .metadata_mut()
            .append("authorization", value.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn every_refusal_is_a_grpc_status() {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let mut client = HealthClient::new(server(&logto, false).await);
    let good = format!("Bearer {}", issuer.token().audience(API).sign());
    let answer = client.check(request(&[&good])).await.unwrap();
    assert_eq!(
        answer.into_inner().status,
        health_check_response::ServingStatus::Serving as i32
    );
    let expired = format!(
        "Bearer {}",
        issuer.token().audience(API).expires_in(-3600).sign()
    );
    let org_level = format!("Bearer {}", issuer.token().audience(API).org_id("o").sign());
    for (metadata, code, message) in [
        (
            vec![],
            Code::Unauthenticated,
            "the request carries no bearer token",
        ),
        (
            vec![expired.as_str()],
            Code::Unauthenticated,
            "the access token has expired",
        ),
        (
            vec![org_level.as_str()],
            Code::PermissionDenied,
            "the access token carries permissions granted within an organization",
        ),
        (
            vec![good.as_str(), good.as_str()],
            Code::InvalidArgument,
            "the request carries its credentials more than once or in a malformed way",
        ),
    ] {
        let status = client.check(request(&metadata)).await.unwrap_err();
        assert_eq!(
            (status.code(), status.message()),
            (code, message),
            "{metadata:?}"
        );
    }

    // Keys unavailable: `unavailable`.
    let down = TestIssuer::start().await;
    let token = format!("Bearer {}", down.token().audience(API).sign());
    down.go_down().await;
    let unreachable = down.state_builder(API).build().unwrap();
    let mut client = HealthClient::new(server(&unreachable, false).await);
    let status = client.check(request(&[&token])).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::Unavailable,
            "the signing keys of the issuer are unavailable"
        )
    );
}

#[tokio::test]
async fn the_service_gets_the_callers_auth_info_and_scopes_are_checked() {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let mut client = HealthClient::new(server(&logto, true).await);
    let reader = issuer
        .token()
        .sub("grpc-user")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    let answer = client
        .check(request(&[&format!("Bearer {reader}")]))
        .await
        .unwrap();
    assert_eq!(answer.metadata().get("x-sub").unwrap(), "grpc-user");
    let no_scope = issuer.token().audience(API).sign();
    let status = client
        .check(request(&[&format!("Bearer {no_scope}")]))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::PermissionDenied,
            "the access token lacks a scope this resource requires"
        )
    );
}

/// A tonic server on loopback with `WhoAmI` behind `layer`.
async fn server_behind(layer: LogtoLayer) -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(HealthServer::new(WhoAmI))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_method_has_its_scopes_and_an_unlisted_one_is_refused() {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let methods = GrpcPolicy::new().method::<ReadDocs>("/grpc.health.v1.Health/Check");
    let mut client =
        HealthClient::new(server_behind(LogtoLayer::new(logto.clone()).grpc(methods)).await);
    let reader = format!(
        "Bearer {}",
        issuer
            .token()
            .sub("g1")
            .audience(API)
            .scopes(["read:docs"])
            .sign()
    );
    let nobody = format!("Bearer {}", issuer.token().audience(API).sign());

    // Listed, with its scope: served, and the service reads the caller.
    let answer = client.check(request(&[&reader])).await.unwrap();
    assert_eq!(answer.metadata().get("x-sub").unwrap(), "g1");
    // Listed, without its scope: permission_denied with the fixed description.
    let status = client.check(request(&[&nobody])).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::PermissionDenied,
            "the access token lacks a scope this resource requires"
        )
    );
    // Unlisted (Watch): refused whatever the token, before the service runs.
    let status = client.watch(request(&[&reader])).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::PermissionDenied,
            "this operation is not allowed for any access token"
        )
    );
    // A bad or missing token is still unauthenticated first.
    let status = client.watch(request(&[])).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    // A whole-service entry, and a method's own entry over it: Watch reaches the service
    // (which answers unimplemented), Check still needs read:docs.
    let methods = GrpcPolicy::new()
        .service::<()>("/grpc.health.v1.Health/*")
        .method::<ReadDocs>("/grpc.health.v1.Health/Check");
    let mut client = HealthClient::new(server_behind(LogtoLayer::new(logto).grpc(methods)).await);
    let status = client.watch(request(&[&nobody])).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::Unimplemented, "watch")
    );
    let status = client.check(request(&[&nobody])).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    client.check(request(&[&reader])).await.unwrap();
}
