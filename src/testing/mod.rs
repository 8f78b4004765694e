//! A local issuer for tests: [`TestIssuer`] (feature `test-util`).
//!
//! It serves OpenID discovery and a JWK set on `127.0.0.1` at Logto's paths, signs real tokens
//! with real keys, rotates keys, counts fetches and injects faults. It is this crate's own test
//! harness, and lets you test your handlers without a Logto tenant.
//!
//! ```
//! use axum_logto::testing::TestIssuer;
//! use axum_logto::LogtoState;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let issuer = TestIssuer::start().await;
//! let logto = LogtoState::builder(issuer.endpoint())
//!     .audience("https://api.example.com")
//!     .build()
//!     .unwrap();
//!
//! let token = issuer
//!     .token()
//!     .sub("user-1")
//!     .audience("https://api.example.com")
//!     .scopes(["read:docs"])
//!     .sign();
//!
//! let info = logto.validate(&token).await.unwrap();
//! assert_eq!(info.sub(), "user-1");
//! assert!(info.scopes().contains("read:docs"));
//! # }
//! ```

#![allow(
    clippy::expect_used,
    reason = "a test harness: it panics (as documented) only when the machine cannot bind a \
              loopback port or generate a key, where a test has nothing better to do"
)]

mod key;
mod send;
mod server;
mod token;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use key::KeyAlgorithm;
use key::{IssuerKey, random_id};
pub use send::{TestResponse, send};

/// The `logto-signature-sha-256` header Logto sends with `body` for a webhook whose signing
/// key is `signing_key`: to test a [`LogtoWebhook`](crate::LogtoWebhook) endpoint with
/// deliveries of your own.
///
/// ```
/// let body = br#"{"event":"PostSignIn","createdAt":"2025-01-01T12:00:00.000Z"}"#;
/// let signature = axum_logto::testing::sign_webhook("the-hook-signing-key", body);
/// assert_eq!(signature.len(), 64);
/// ```
pub fn sign_webhook(signing_key: &str, body: &[u8]) -> String {
    crate::webhook::sign(signing_key, body)
}
use server::spawn_server;
pub use token::TokenBuilder;

use crate::keys::lock;
use crate::state::{LogtoState, LogtoStateBuilder};

/// Seconds since the Unix epoch, now.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The published keys and the one that signs.
pub(super) struct KeyRing {
    published: Vec<Arc<IssuerKey>>,
    signing: Arc<IssuerKey>,
}

#[derive(Default)]
struct Faults {
    fail_next: usize,
    delay: Duration,
    garbage: bool,
    oversized: bool,
}

struct Shared {
    issuer: String,
    /// The `aud` of new tokens, once known (see `TestIssuer::state_builder`).
    default_audience: Mutex<Option<String>>,
    keys: Mutex<KeyRing>,
    faults: Mutex<Faults>,
    jwks_requests: AtomicUsize,
    discovery_requests: AtomicUsize,
    /// The applications the token endpoint takes: id and secret.
    clients: Mutex<Vec<(String, String)>>,
    /// How long the token endpoint's tokens live.
    token_lifetime: Mutex<Duration>,
    token_requests: AtomicUsize,
    /// Token requests still to answer 503.
    token_failures: AtomicUsize,
}

struct Server {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// A local OpenID issuer on `127.0.0.1` that serves discovery and JWKS at Logto's paths and
/// mints real, signed access tokens.
///
/// - `GET /oidc/.well-known/openid-configuration`: discovery, issuer `<endpoint>/oidc`;
/// - `GET /oidc/jwks`: the published keys, `Cache-Control: no-cache` as Logto answers.
///
/// Keys are ES384 unless [`start_with`](Self::start_with) asks for another kind. The issuer
/// stops when dropped.
pub struct TestIssuer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::sync::Mutex<Option<Server>>,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("endpoint", &self.endpoint())
            .field("signing_kid", &self.signing_kid())
            .finish_non_exhaustive()
    }
}

impl TestIssuer {
    /// Starts an issuer with an ES384 key on a free loopback port.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (a test harness has nothing better to do).
    pub async fn start() -> Self {
        Self::start_with(KeyAlgorithm::Es384).await
    }

    /// Starts an issuer whose first key is of the given kind.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn start_with(kind: KeyAlgorithm) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind a loopback port for the test issuer");
        let addr = listener
            .local_addr()
            .expect("local address of a bound listener");
        let key = Arc::new(IssuerKey::generate(kind));
        let shared = Arc::new(Shared {
            issuer: format!("http://{addr}/oidc"),
            default_audience: Mutex::new(None),
            keys: Mutex::new(KeyRing {
                published: vec![key.clone()],
                signing: key,
            }),
            faults: Mutex::new(Faults::default()),
            jwks_requests: AtomicUsize::new(0),
            discovery_requests: AtomicUsize::new(0),
            clients: Mutex::new(Vec::new()),
            token_lifetime: Mutex::new(Duration::from_secs(3600)),
            token_requests: AtomicUsize::new(0),
            token_failures: AtomicUsize::new(0),
        });
        let server = spawn_server(listener, shared.clone());
        Self {
            shared,
            addr,
            server: tokio::sync::Mutex::new(Some(server)),
        }
    }

    /// The Logto endpoint to configure: `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The issuer tokens carry: `<endpoint>/oidc`.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The JWKS URI: `<endpoint>/oidc/jwks`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.shared.issuer)
    }

    /// The socket address the issuer listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A [`LogtoState`] builder for this issuer with `audience` set; add options and build.
    ///
    /// The first audience given here also becomes the `aud` of new tokens (see
    /// [`token`](Self::token)), so that tests need not repeat it; change it with
    /// [`set_default_audience`](Self::set_default_audience).
    pub fn state_builder(&self, audience: &str) -> LogtoStateBuilder {
        lock(&self.shared.default_audience).get_or_insert_with(|| audience.to_owned());
        LogtoState::builder(self.endpoint()).audience(audience)
    }

    /// Lets the application `client_id` with `secret` ask the issuer's token endpoint
    /// (`<endpoint>/oidc/token`, `client_secret_basic`) for tokens, as a
    /// [`LogtoClient`](crate::LogtoClient) does: client credentials (`sub` = `client_id`, `aud`
    /// the `resource`, the scopes asked for, `organization_id` when asked), and token exchange
    /// of a token this issuer signed (`sub` the subject token's, `client_id` the application's;
    /// no `act`, as Logto 1.37 without an actor token). Unknown applications get 401
    /// `invalid_client`, a request without resource nor organization 400 `invalid_target`, a
    /// subject token not from here 400 `invalid_grant`.
    pub fn register_client(&self, client_id: &str, secret: &str) {
        lock(&self.shared.clients).push((client_id.to_owned(), secret.to_owned()));
    }

    /// How long the token endpoint's tokens live (`expires_in`). Default: one hour.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.shared.token_lifetime) = lifetime;
    }

    /// How many requests the token endpoint got.
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// The next `n` token requests get 503, with the JSON body of an OAuth error
    /// (`server_error`).
    pub fn fail_next_token_requests(&self, n: usize) {
        self.shared.token_failures.store(n, Ordering::SeqCst);
    }

    /// Sets (or, with `None`, clears) the `aud` that new tokens start with.
    pub fn set_default_audience(&self, audience: Option<&str>) {
        *lock(&self.shared.default_audience) = audience.map(str::to_owned);
    }

    /// Starts a token: by default `typ: at+jwt`, the signing key's `alg` and `kid`, and claims
    /// `iss`, `sub: "test-user"`, `client_id: "test-client"`, a random `jti`, `iat` now,
    /// `exp` in one hour, and `aud` the default audience (the first one given to
    /// [`state_builder`](Self::state_builder)) when there is one. No `scope` until you set
    /// it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use axum_logto::testing::TestIssuer;
    ///
    /// let issuer = TestIssuer::start().await;
    /// let logto = issuer.state_builder("https://api.example.com").build().unwrap();
    /// // `aud` is the state builder's audience; `bearer()` gives the header value.
    /// let authorization = issuer.token().scopes(["read:docs"]).bearer();
    /// assert!(authorization.starts_with("Bearer ey"));
    /// let token = authorization.trim_start_matches("Bearer ");
    /// assert!(logto.validate(token).await.is_ok());
    /// # }
    /// ```
    pub fn token(&self) -> TokenBuilder<'_> {
        let signing = lock(&self.shared.keys).signing.clone();
        let now = now();
        let mut claims = Map::new();
        claims.insert("jti".into(), json!(random_id()));
        claims.insert("sub".into(), json!("test-user"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 3600));
        claims.insert("client_id".into(), json!("test-client"));
        claims.insert("iss".into(), json!(self.shared.issuer));
        if let Some(audience) = lock(&self.shared.default_audience).as_ref() {
            claims.insert("aud".into(), json!(audience));
        }
        let mut header = Map::new();
        header.insert("alg".into(), json!(signing.alg.name()));
        header.insert("typ".into(), json!("at+jwt"));
        header.insert("kid".into(), json!(signing.kid));
        TokenBuilder {
            issuer: self,
            key: signing,
            header,
            claims,
        }
    }

    /// Signs `header` and `payload` exactly as given (compact JWS) with the signing key: for
    /// malformed cases. The bytes need not be JSON.
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let signing = lock(&self.shared.keys).signing.clone();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = signing.sign(&input);
        format!("{input}.{signature}")
    }

    /// The kid of the key that signs new tokens.
    pub fn signing_kid(&self) -> String {
        lock(&self.shared.keys).signing.kid.clone()
    }

    /// The published JWK set, as served.
    pub fn jwks(&self) -> Value {
        let ring = lock(&self.shared.keys);
        json!({ "keys": ring.published.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Generates a key and publishes it without signing with it, as a key set in which a key
    /// not yet used is published (Logto itself signs with a new key as soon as it restarts,
    /// and keeps the previous one published). Returns its kid.
    pub fn publish_key(&self, kind: KeyAlgorithm) -> String {
        let key = Arc::new(IssuerKey::generate(kind));
        let kid = key.kid.clone();
        lock(&self.shared.keys).published.push(key);
        kid
    }

    /// Signs new tokens with the published key `kid`.
    ///
    /// # Panics
    ///
    /// When `kid` is not published.
    pub fn sign_with(&self, kid: &str) {
        let mut ring = lock(&self.shared.keys);
        let key = ring
            .published
            .iter()
            .find(|k| k.kid == kid)
            .unwrap_or_else(|| panic!("kid {kid} is not published"))
            .clone();
        ring.signing = key;
    }

    /// Publishes a new key and signs with it at once, keeping the previous key published.
    /// Returns the new kid.
    pub fn rotate(&self, kind: KeyAlgorithm) -> String {
        let kid = self.publish_key(kind);
        self.sign_with(&kid);
        kid
    }

    /// Stops publishing `kid`. The signing key keeps signing even if dropped from the set
    /// (which lets tests mint tokens with an unpublished key).
    pub fn drop_key(&self, kid: &str) {
        lock(&self.shared.keys).published.retain(|k| k.kid != kid);
    }

    /// How many times the JWKS was requested (faulty answers included).
    pub fn jwks_requests(&self) -> usize {
        self.shared.jwks_requests.load(Ordering::SeqCst)
    }

    /// How many times the discovery document was requested.
    pub fn discovery_requests(&self) -> usize {
        self.shared.discovery_requests.load(Ordering::SeqCst)
    }

    /// The next `n` JWKS requests answer `500 Internal Server Error`.
    pub fn fail_next(&self, n: usize) {
        lock(&self.shared.faults).fail_next = n;
    }

    /// Every JWKS and discovery answer waits this long first (`Duration::ZERO` to stop).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.shared.faults).delay = delay;
    }

    /// While `on`, the JWKS answers `200` with a body that is not a JWK set.
    pub fn serve_garbage(&self, on: bool) {
        lock(&self.shared.faults).garbage = on;
    }

    /// While `on`, the JWKS answers `200` with a 1 MiB body (above the default size cap).
    pub fn serve_oversized(&self, on: bool) {
        lock(&self.shared.faults).oversized = on;
    }

    /// Clears every injected fault.
    pub fn clear_faults(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }

    /// Stops listening: new connections are refused and open ones are closed, as when Logto
    /// is unreachable. Returns once the port is closed.
    pub async fn go_down(&self) {
        if let Some(server) = self.server.lock().await.take() {
            let _ = server.shutdown.send(());
            let _ = server.task.await;
        }
    }

    /// Listens again on the same address, with the same keys.
    ///
    /// # Panics
    ///
    /// When the port was taken meanwhile.
    pub async fn come_back(&self) {
        let mut server = self.server.lock().await;
        if server.is_none() {
            let listener = TcpListener::bind(self.addr)
                .await
                .expect("re-bind the test issuer's port");
            *server = Some(spawn_server(listener, self.shared.clone()));
        }
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        if let Some(server) = self.server.get_mut().take() {
            let _ = server.shutdown.send(());
        }
    }
}
