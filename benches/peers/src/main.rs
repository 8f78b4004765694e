//! A peer for the HTTP benchmark: `GET /docs` protected by `axum-jwt-auth` the way its README
//! and `remote` example do it (`RemoteJwksDecoder`, `Claims<T>`), validating the tokens of the
//! same issuer as the demo.
//!
//! ```text
//! axum-jwt-auth-peer <issuer> [<jwks-url>]
//! ISSUER=<issuer> [JWKS_URL=<jwks-url>] axum-jwt-auth-peer
//! ```
//!
//! - the issuer is checked exactly (`iss`); the JWKS URL defaults to `<issuer>/jwks` (Logto's);
//! - `AUDIENCE` (default `https://api.example.com`) is checked against `aud`;
//! - `exp` is required and checked with jsonwebtoken's default 60 s leeway;
//! - the algorithm is ES384 (Logto's default key);
//! - `read:docs` is checked in the handler, from the claims (axum-jwt-auth has no scope check):
//!   403 without it;
//! - `BIND` sets the address (default `127.0.0.1:3001`). It prints `listening on http://<addr>`.
//!
//! jsonwebtoken's crypto backend is the one axum-jwt-auth enables, `rust_crypto` (RustCrypto's
//! `p384` for ES384). Built with the feature `aws_lc_rs`, the server installs jsonwebtoken's
//! aws-lc provider instead, for comparison only.

use std::error::Error;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::routing::get;
use axum_jwt_auth::{Claims, Decoder, RemoteJwksDecoder};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

/// The claims the route reads. `scope` is Logto's space-separated list.
#[derive(Debug, Deserialize)]
struct AccessClaims {
    sub: String,
    #[serde(default)]
    scope: String,
}

#[derive(Clone, FromRef)]
struct AppState {
    decoder: Decoder<AccessClaims>,
}

async fn list_docs(Claims { claims, .. }: Claims<AccessClaims>) -> (StatusCode, String) {
    if claims.scope.split(' ').any(|s| s == "read:docs") {
        (
            StatusCode::OK,
            format!(r#"{{"docs":["welcome.md"],"sub":"{}"}}"#, claims.sub),
        )
    } else {
        (StatusCode::FORBIDDEN, "insufficient scope".to_owned())
    }
}

fn setting(arg: Option<String>, env: &str) -> Option<String> {
    arg.or_else(|| std::env::var(env).ok())
        .filter(|s| !s.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let issuer = setting(args.next(), "ISSUER")
        .ok_or("usage: axum-jwt-auth-peer <issuer> [<jwks-url>] (or ISSUER, JWKS_URL)")?;
    let jwks_url = setting(args.next(), "JWKS_URL").unwrap_or_else(|| format!("{issuer}/jwks"));
    let audience =
        setting(None, "AUDIENCE").unwrap_or_else(|| "https://api.example.com".to_owned());
    let bind = setting(None, "BIND").unwrap_or_else(|| "127.0.0.1:3001".to_owned());

    #[cfg(feature = "aws_lc_rs")]
    jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    )
    .map_err(|_| "a jsonwebtoken crypto provider is already installed")?;

    let mut validation = Validation::new(Algorithm::ES384);
    validation.set_issuer(&[&issuer]);
    validation.set_audience(&[&audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);

    let decoder = RemoteJwksDecoder::builder()
        .jwks_url(jwks_url)
        .validation(validation)
        .build()?;
    // Fetches the keys now and starts the background refresh.
    let _refresh = decoder.initialize().await?;

    let app = Router::new()
        .route("/docs", get(list_docs))
        .with_state(AppState {
            decoder: Arc::new(decoder),
        });
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
