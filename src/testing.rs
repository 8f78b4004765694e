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

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents,
};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::claims::ORGANIZATION_AUDIENCE_PREFIX;
use crate::keys::{Algorithm, lock};
use crate::state::{LogtoState, LogtoStateBuilder};

/// The kind of signing key a [`TestIssuer`] generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// EC P-384 with ES384: Logto's default.
    #[default]
    Es384,
    /// EC P-256 with ES256.
    Es256,
    /// RSA 2048 with RS256: Logto's alternative. Published without `alg`, as Logto does.
    Rs256,
}

/// A key pair of the issuer's, signing with aws-lc-rs.
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

struct IssuerKey {
    kid: String,
    alg: Algorithm,
    signer: Signer,
    jwk: Value,
}

impl IssuerKey {
    fn generate(kind: KeyAlgorithm) -> Self {
        let kid = random_id();
        // Key generation only fails if the system RNG fails; a test harness may panic then.
        match kind {
            KeyAlgorithm::Es384 | KeyAlgorithm::Es256 => {
                let (signing, alg, crv, size) = if kind == KeyAlgorithm::Es384 {
                    (
                        &ECDSA_P384_SHA384_FIXED_SIGNING,
                        Algorithm::Es384,
                        "P-384",
                        48,
                    )
                } else {
                    (
                        &ECDSA_P256_SHA256_FIXED_SIGNING,
                        Algorithm::Es256,
                        "P-256",
                        32,
                    )
                };
                let pair = EcdsaKeyPair::generate(signing).expect("EC key generation");
                // The public key is the uncompressed point 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = point[1..].split_at(size);
                Self {
                    jwk: json!({
                        "kty": "EC", "crv": crv, "alg": alg.name(), "use": "sig", "kid": kid,
                        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
                    }),
                    kid,
                    alg,
                    signer: Signer::Ec(pair),
                }
            }
            KeyAlgorithm::Rs256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                Self {
                    jwk: json!({
                        "kty": "RSA", "use": "sig", "kid": kid,
                        "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
                    }),
                    kid,
                    alg: Algorithm::Rs256,
                    signer: Signer::Rsa(pair),
                }
            }
        }
    }

    /// The base64url signature of `signing_input`: `r || s` for ECDSA, PKCS#1 v1.5 with
    /// SHA-256 for RSA.
    fn sign(&self, signing_input: &str) -> String {
        let rng = SystemRandom::new();
        let input = signing_input.as_bytes();
        let signature = match &self.signer {
            Signer::Ec(pair) => pair
                .sign(&rng, input)
                .expect("signing with a valid key")
                .as_ref()
                .to_vec(),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input, &mut signature)
                    .expect("signing with a valid key");
                signature
            }
        };
        URL_SAFE_NO_PAD.encode(signature)
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 12];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random generator");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The published keys and the one that signs.
struct KeyRing {
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

    /// Generates a key and publishes it without signing with it (Logto publishes the next
    /// key before it signs). Returns its kid.
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

fn spawn_server(listener: TcpListener, shared: Arc<Shared>) -> Server {
    let app = Router::new()
        .route("/oidc/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .with_state(shared);
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await;
    });
    Server { shutdown, task }
}

async fn injected_delay(shared: &Shared) {
    let delay = lock(&shared.faults).delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_requests.fetch_add(1, Ordering::SeqCst);
    injected_delay(&shared).await;
    let issuer = &shared.issuer;
    json_response(&json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES384", "ES256", "RS256"],
    }))
}

fn json_response(value: &Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
    injected_delay(&shared).await;
    let (fail, garbage, oversized) = {
        let mut faults = lock(&shared.faults);
        let fail = faults.fail_next > 0;
        if fail {
            faults.fail_next -= 1;
        }
        (fail, faults.garbage, faults.oversized)
    };
    let mut response = if fail {
        (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response()
    } else if garbage {
        (StatusCode::OK, "<html>this is not a JWK set</html>").into_response()
    } else if oversized {
        let filler = " ".repeat(1024 * 1024);
        let body = format!(r#"{{"keys":[],"pad":"{filler}"}}"#);
        (StatusCode::OK, body).into_response()
    } else {
        let ring = lock(&shared.keys);
        let keys: Vec<Value> = ring.published.iter().map(|k| k.jwk.clone()).collect();
        json_response(&json!({ "keys": keys }))
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Builds and signs one token; made by [`TestIssuer::token`].
///
/// Setters replace the default claim or header member; [`claim`](Self::claim) and
/// [`header`](Self::header) set anything, including values of the wrong JSON type.
#[must_use = "call .sign() to get the token"]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    key: Arc<IssuerKey>,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl TokenBuilder<'_> {
    /// Sets `sub`.
    #[allow(clippy::should_implement_trait)] // named after the claim, like every setter here
    pub fn sub(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// Sets `client_id`.
    pub fn client_id(self, client_id: &str) -> Self {
        self.claim("client_id", json!(client_id))
    }

    /// Sets `scope` to the space-separated `scopes`.
    pub fn scopes<'s>(self, scopes: impl IntoIterator<Item = &'s str>) -> Self {
        let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
        self.claim("scope", json!(scope))
    }

    /// Sets `aud` to a single string.
    pub fn audience(self, audience: &str) -> Self {
        self.claim("aud", json!(audience))
    }

    /// Sets `aud` to an array.
    pub fn audiences<'s>(self, audiences: impl IntoIterator<Item = &'s str>) -> Self {
        let list: Vec<&str> = audiences.into_iter().collect();
        self.claim("aud", json!(list))
    }

    /// Sets `aud` to `urn:logto:organization:<organization_id>` (an organization token).
    pub fn organization_audience(self, organization_id: &str) -> Self {
        self.claim(
            "aud",
            json!(format!("{ORGANIZATION_AUDIENCE_PREFIX}{organization_id}")),
        )
    }

    /// Sets the `organization_id` claim (organization-level API resource tokens).
    pub fn organization_id(self, organization_id: &str) -> Self {
        self.claim("organization_id", json!(organization_id))
    }

    /// Sets `iat` (seconds since the epoch).
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", json!(iat))
    }

    /// Sets `exp` (seconds since the epoch).
    pub fn expires_at(self, exp: i64) -> Self {
        self.claim("exp", json!(exp))
    }

    /// Sets `exp` to now plus `seconds` (negative for an expired token).
    pub fn expires_in(self, seconds: i64) -> Self {
        self.expires_at(now() + seconds)
    }

    /// Sets `nbf` (seconds since the epoch).
    pub fn not_before(self, nbf: i64) -> Self {
        self.claim("nbf", json!(nbf))
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim (also a default one such as `exp`).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the header's `typ`.
    pub fn typ(self, typ: &str) -> Self {
        self.header("typ", json!(typ))
    }

    /// Sets the header's `kid` (the signing key stays the same).
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", json!(kid))
    }

    /// Sets any header member to any JSON value (for instance `alg`, `crit`, `jku`).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header member (for instance `typ` or `kid`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with another published key (by kid) instead of the current signing key, and
    /// sets the header's `kid` and `alg` to that key's.
    ///
    /// # Panics
    ///
    /// When `kid` is not published.
    pub fn signed_by(mut self, kid: &str) -> Self {
        let key = lock(&self.issuer.shared.keys)
            .published
            .iter()
            .find(|k| k.kid == kid)
            .unwrap_or_else(|| panic!("kid {kid} is not published"))
            .clone();
        self.header.insert("kid".into(), json!(key.kid));
        self.header.insert("alg".into(), json!(key.alg.name()));
        self.key = key;
        self
    }

    /// The header and claims as JSON, without signing.
    pub fn parts(&self) -> (Value, Value) {
        (
            Value::Object(self.header.clone()),
            Value::Object(self.claims.clone()),
        )
    }

    /// Signs the token and returns the `Authorization` header value: `Bearer <token>`.
    pub fn bearer(self) -> String {
        format!("Bearer {}", self.sign())
    }

    /// Sets `sub` and `client_id` to `client_id`: a machine-to-machine token (the
    /// application acting for itself).
    pub fn machine_to_machine(self, client_id: &str) -> Self {
        self.sub(client_id).client_id(client_id)
    }

    /// Sets the `act` claim (RFC 8693): `actor` acts for the subject.
    pub fn actor(self, actor: &str) -> Self {
        self.claim("act", json!({ "sub": actor }))
    }

    /// Signs the token (compact JWS).
    pub fn sign(self) -> String {
        let encode = |map: &Map<String, Value>| {
            // Serialising a map of JSON values cannot fail.
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(map).expect("JSON map serialises"))
        };
        let input = format!("{}.{}", encode(&self.header), encode(&self.claims));
        let signature = self.key.sign(&input);
        format!("{input}.{signature}")
    }
}
