//! What the fuzz targets share: the fixed test keys (committed under `fuzz/keys/`, used
//! nowhere else), the JWK set they publish, and Logto-shaped access tokens signed with them.
//!
//! Signing is deterministic (RSA PKCS#1 v1.5, and ECDSA with RFC 6979 nonces), so the tokens
//! a target signs at start-up are byte for byte the seeds `cargo run --example seeds` wrote.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p384::ecdsa::signature::Signer as _;
use p384::ecdsa::{Signature, SigningKey};
use p384::pkcs8::DecodePrivateKey as _;
use serde_json::{Value, json};

/// The tenant's issuer.
pub const ISSUER: &str = "https://fuzz.logto.app/oidc";
/// The API resource indicator the validator accepts.
pub const AUDIENCE: &str = "https://api.fuzz.example";
/// The organization the organization flows ask for.
pub const ORGANIZATION: &str = "org-fuzz-1";
/// `exp` of the valid tokens: 2100-01-01T00:00:00Z.
pub const EXP: i64 = 4_102_444_800;
/// `iat` of the tokens: 2023-11-14.
pub const IAT: i64 = 1_700_000_000;
/// The `kid` of the EC P-384 key.
pub const ES384_KID: &str = "fuzz-es384";
/// The `kid` of the RSA-2048 key.
pub const RSA_KID: &str = "fuzz-rsa";

const ES384_PKCS8: &[u8] = include_bytes!("../keys/es384.pk8.der");
const RSA_PKCS8: &[u8] = include_bytes!("../keys/rsa2048.pk8.der");

/// Which fixed key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// EC P-384, ES384 (Logto's default).
    Es384,
    /// RSA-2048, RS256 (Logto's alternative).
    Rsa,
}

/// The fixed key pairs.
pub struct Keys {
    es384: SigningKey,
    rsa: RsaKeyPair,
}

impl Default for Keys {
    fn default() -> Self {
        Self::load()
    }
}

impl Keys {
    /// Loads the committed keys.
    pub fn load() -> Self {
        Self {
            es384: SigningKey::from_pkcs8_der(ES384_PKCS8).expect("fuzz/keys/es384.pk8.der"),
            rsa: RsaKeyPair::from_pkcs8(RSA_PKCS8).expect("fuzz/keys/rsa2048.pk8.der"),
        }
    }

    /// The JWK set of both keys, shaped as Logto publishes them: the EC key with `alg`, the
    /// RSA key without.
    pub fn jwks(&self) -> Value {
        let point = self.es384.verifying_key().to_encoded_point(false);
        let rsa = RsaPublicKeyComponents::<Vec<u8>>::from(self.rsa.public_key());
        json!({"keys": [
            {"kty": "EC", "crv": "P-384", "alg": "ES384", "use": "sig", "kid": ES384_KID,
             "x": b64(point.x().expect("uncompressed")), "y": b64(point.y().expect("uncompressed"))},
            {"kty": "RSA", "use": "sig", "kid": RSA_KID, "n": b64(&rsa.n), "e": b64(&rsa.e)},
        ]})
    }

    /// The signature of `input` with `key`.
    pub fn sign(&self, key: Key, input: &[u8]) -> Vec<u8> {
        match key {
            Key::Es384 => {
                let signature: Signature = self.es384.sign(input);
                signature.to_bytes().to_vec()
            }
            Key::Rsa => {
                let mut signature = vec![0; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(
                        &RSA_PKCS1_SHA256,
                        &SystemRandom::new(),
                        input,
                        &mut signature,
                    )
                    .expect("RSA signing");
                signature
            }
        }
    }

    /// A compact JWS of `header` and `payload` signed with `key` (whatever `header` says).
    pub fn token(&self, key: Key, header: &Value, payload: &Value) -> String {
        let input = format!("{}.{}", b64(&to_json(header)), b64(&to_json(payload)));
        let signature = self.sign(key, input.as_bytes());
        format!("{input}.{}", b64(&signature))
    }

    /// An HS256 token whose HMAC key is the RSA public key (the classic key-confusion forgery).
    pub fn hs256_confusion(&self, payload: &Value) -> String {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": RSA_KID});
        let input = format!("{}.{}", b64(&to_json(&header)), b64(&to_json(payload)));
        let secret =
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.rsa.public_key().as_ref());
        let tag = aws_lc_rs::hmac::sign(&secret, input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }
}

/// The same ES384 token with its signature's `s` replaced by `n - s`: ECDSA verification
/// accepts both (signatures are malleable; see the README's "Security" section), so this string is correctly
/// signed although this code never signed it. `None` for a token that is not ES384-shaped.
pub fn malleated(token: &str) -> Option<String> {
    let (input, signature) = token.rsplit_once('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let signature = Signature::from_slice(&bytes).ok()?;
    let (r, s) = signature.split_scalars();
    let twin = Signature::from_scalars(r, -s).ok()?;
    Some(format!("{input}.{}", b64(&twin.to_bytes())))
}

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn to_json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON")
}

/// The flows a token is meant for (what a validator configured for [`AUDIENCE`] accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// `LogtoState::validate`: a global API resource.
    Global,
    /// `validate_org_token(token, ORGANIZATION)`.
    Organization,
    /// An organization token for another organization: only `OrgToken<AnyOrg, _>` takes it.
    OtherOrganization,
    /// An organization-level API resource for [`ORGANIZATION`].
    OrganizationResource,
    /// Signed, but every flow must refuse it.
    None,
}

/// A token signed by the fixed keys.
pub struct Signed {
    /// A name for the seed file.
    pub name: &'static str,
    pub token: String,
    /// The flow that must accept it ([`Flow::None`]: none may).
    pub flow: Flow,
}

fn header(alg: &str, kid: Option<&str>) -> Value {
    let mut header = json!({"alg": alg, "typ": "at+jwt"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    header
}

fn payload(aud: Value, scope: &str) -> Value {
    json!({"jti": "jti-fuzz-0001", "sub": "user-1", "iat": IAT, "exp": EXP, "scope": scope,
           "client_id": "app-1", "iss": ISSUER, "aud": aud})
}

fn with(mut value: Value, name: &str, member: Value) -> Value {
    value[name] = member;
    value
}

fn without(mut value: Value, name: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove(name);
    }
    value
}

/// Every token the targets sign: Logto-shaped valid ones for each flow, then correctly signed
/// ones that break a rule.
pub fn signed_tokens(keys: &Keys) -> Vec<Signed> {
    let es = header("ES384", Some(ES384_KID));
    let rs = header("RS256", Some(RSA_KID));
    let global = payload(json!(AUDIENCE), "read:docs write:docs");
    let org = payload(
        json!(format!("urn:logto:organization:{ORGANIZATION}")),
        "invite:members read:members",
    );
    let org_api = with(global.clone(), "organization_id", json!(ORGANIZATION));
    let many: Vec<String> = (0..150).map(|i| format!("scope:{i:03}")).collect();
    let sign = |name, key, header: &Value, payload: &Value, flow| Signed {
        name,
        token: keys.token(key, header, payload),
        flow,
    };
    use Flow::{Global, None as Refused, Organization, OrganizationResource, OtherOrganization};
    use Key::{Es384, Rsa};
    vec![
        sign("es384-kid", Es384, &es, &global, Global),
        sign(
            "es384-no-kid",
            Es384,
            &header("ES384", None),
            &global,
            Global,
        ),
        sign("rs256-kid", Rsa, &rs, &global, Global),
        sign("rs256-no-kid", Rsa, &header("RS256", None), &global, Global),
        sign("es384-organization", Es384, &es, &org, Organization),
        sign("rs256-organization", Rsa, &rs, &org, Organization),
        sign(
            "es384-organization-api",
            Es384,
            &es,
            &org_api,
            OrganizationResource,
        ),
        sign(
            "es384-many-scopes",
            Es384,
            &es,
            &with(global.clone(), "scope", json!(many.join(" "))),
            Global,
        ),
        sign(
            "rs256-machine-to-machine",
            Rsa,
            &rs,
            &with(
                with(global.clone(), "sub", json!("app-1")),
                "scope",
                json!(""),
            ),
            Global,
        ),
        sign(
            "es384-audiences-custom-claims",
            Es384,
            &with(es.clone(), "typ", json!("application/at+jwt")),
            &with(
                with(
                    with(
                        global.clone(),
                        "aud",
                        json!(["https://other.example", AUDIENCE]),
                    ),
                    "iat",
                    json!(1_700_000_000.5),
                ),
                "roles",
                json!(["admin"]),
            ),
            Global,
        ),
        sign(
            "es384-act-no-scope",
            Es384,
            &es,
            &with(
                without(global.clone(), "scope"),
                "act",
                json!({"sub": "admin-1"}),
            ),
            Global,
        ),
        sign(
            "es384-jku-ignored",
            Es384,
            &with(
                with(es.clone(), "jku", json!("https://evil.example/jwks")),
                "jwk",
                json!({"kty": "oct", "k": "c2VjcmV0"}),
            ),
            &global,
            Global,
        ),
        sign(
            "other-organization",
            Es384,
            &es,
            &with(
                org.clone(),
                "aud",
                json!("urn:logto:organization:org-other"),
            ),
            OtherOrganization,
        ),
        // Correctly signed, but a rule refuses them.
        sign(
            "expired",
            Es384,
            &es,
            &with(global.clone(), "exp", json!(IAT + 3600)),
            Refused,
        ),
        sign(
            "wrong-issuer",
            Es384,
            &es,
            &with(global.clone(), "iss", json!(format!("{ISSUER}/"))),
            Refused,
        ),
        sign(
            "wrong-audience",
            Rsa,
            &rs,
            &with(global.clone(), "aud", json!("https://api.other.example")),
            Refused,
        ),
        sign(
            "typ-jwt",
            Es384,
            &with(es.clone(), "typ", json!("JWT")),
            &global,
            Refused,
        ),
        sign("no-typ", Rsa, &without(rs.clone(), "typ"), &global, Refused),
        sign(
            "crit",
            Es384,
            &with(es.clone(), "crit", json!(["exp"])),
            &global,
            Refused,
        ),
        sign(
            "not-yet-valid",
            Es384,
            &es,
            &with(global.clone(), "nbf", json!(EXP - 1)),
            Refused,
        ),
        sign(
            "issued-in-future",
            Rsa,
            &rs,
            &with(global.clone(), "iat", json!(EXP - 1)),
            Refused,
        ),
        sign(
            "exp-string",
            Es384,
            &es,
            &with(global.clone(), "exp", json!(EXP.to_string())),
            Refused,
        ),
        sign(
            "no-exp",
            Es384,
            &es,
            &without(global.clone(), "exp"),
            Refused,
        ),
        sign(
            "no-sub",
            Es384,
            &es,
            &without(global.clone(), "sub"),
            Refused,
        ),
        sign(
            "scope-array",
            Es384,
            &es,
            &with(global.clone(), "scope", json!(["read:docs"])),
            Refused,
        ),
        sign(
            "aud-number",
            Rsa,
            &rs,
            &with(global.clone(), "aud", json!(7)),
            Refused,
        ),
        sign(
            "header-rs256-key-es384",
            Rsa,
            &header("RS256", Some(ES384_KID)),
            &global,
            Refused,
        ),
        sign(
            "header-es384-key-rsa",
            Es384,
            &header("ES384", Some(RSA_KID)),
            &global,
            Refused,
        ),
        sign(
            "header-ps256-rsa",
            Rsa,
            &header("PS256", Some(RSA_KID)),
            &global,
            Refused,
        ),
        sign(
            "unknown-kid",
            Es384,
            &header("ES384", Some("rotated-away")),
            &global,
            Refused,
        ),
        sign("payload-not-object", Es384, &es, &json!([1, 2, 3]), Refused),
    ]
}

/// Unsigned or broken variants of `signed` (seeds only: every flow must refuse them).
pub fn malformed_tokens(keys: &Keys, signed: &[Signed]) -> Vec<(&'static str, String)> {
    let token = |name: &str| {
        signed
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.token.clone())
            .expect("a signed token")
    };
    let es = token("es384-kid");
    let rs = token("rs256-kid");
    let parts: Vec<&str> = es.split('.').collect();
    let rs_parts: Vec<&str> = rs.split('.').collect();
    let global = payload(json!(AUDIENCE), "read:docs write:docs");
    let longer = b64(&to_json(&with(global.clone(), "exp", json!(EXP + 1))));
    let none = b64(&to_json(&json!({"alg": "none", "typ": "at+jwt"})));
    let mut flipped = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
    flipped[10] ^= 1;
    vec![
        ("alg-none-empty-signature", format!("{none}.{}.", parts[1])),
        (
            "alg-none-signature",
            format!("{none}.{}.{}", parts[1], parts[2]),
        ),
        ("hs256-key-confusion", keys.hs256_confusion(&global)),
        (
            "payload-swapped",
            format!("{}.{longer}.{}", parts[0], parts[2]),
        ),
        (
            "signature-bit-flipped",
            format!("{}.{}.{}", parts[0], parts[1], b64(&flipped)),
        ),
        (
            "signature-truncated",
            format!("{}.{}.{}", parts[0], parts[1], &parts[2][..100]),
        ),
        (
            "signature-from-rsa-token",
            format!("{}.{}.{}", parts[0], parts[1], rs_parts[2]),
        ),
        ("signature-padded", format!("{es}==")),
        ("two-segments", format!("{}.{}", parts[0], parts[1])),
        ("four-segments", format!("{es}.{}", parts[2])),
        ("leading-space", format!(" {es}")),
        ("standard-base64", es.replace('-', "+").replace('_', "/")),
        (
            "kid-too-long",
            keys.token(
                Key::Es384,
                &header("ES384", Some(&"k".repeat(300))),
                &global,
            ),
        ),
        (
            "oversized",
            keys.token(
                Key::Es384,
                &header("ES384", Some(ES384_KID)),
                &with(global, "pad", json!("x".repeat(9000))),
            ),
        ),
    ]
}

/// Logto-shaped JWK sets and broken variants, for the `jwks` seeds.
pub fn jwks_seeds(keys: &Keys) -> Vec<(&'static str, Vec<u8>)> {
    let set = keys.jwks();
    let ec = set["keys"][0].clone();
    let rsa = set["keys"][1].clone();
    let doc = |keys: Vec<Value>| to_json(&json!({ "keys": keys }));
    let p256 = json!({"kty": "EC", "crv": "P-256", "kid": "p256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    vec![
        ("logto-es384", doc(vec![ec.clone()])),
        ("logto-rsa-no-alg", doc(vec![rsa.clone()])),
        ("logto-mixed-rotation", to_json(&set)),
        ("es384-no-alg", doc(vec![without(ec.clone(), "alg")])),
        (
            "es384-no-kid-no-use",
            doc(vec![without(without(ec.clone(), "kid"), "use")]),
        ),
        (
            "rsa-ps256",
            doc(vec![with(rsa.clone(), "alg", json!("PS256"))]),
        ),
        (
            "rsa-rs512",
            doc(vec![with(rsa.clone(), "alg", json!("RS512"))]),
        ),
        (
            "p256",
            doc(vec![p256.clone(), with(p256, "alg", json!("ES256"))]),
        ),
        (
            "key-ops-verify",
            doc(vec![with(ec.clone(), "key_ops", json!(["verify", "sign"]))]),
        ),
        (
            "key-ops-encrypt",
            doc(vec![with(ec.clone(), "key_ops", json!(["encrypt"]))]),
        ),
        (
            "key-ops-not-array",
            doc(vec![with(ec.clone(), "key_ops", json!("verify"))]),
        ),
        ("use-enc", doc(vec![with(rsa.clone(), "use", json!("enc"))])),
        (
            "alg-mismatch",
            doc(vec![
                with(ec.clone(), "alg", json!("RS256")),
                with(rsa.clone(), "alg", json!("ES384")),
            ]),
        ),
        (
            "ec-point-off-curve",
            doc(vec![with(ec.clone(), "y", json!(b64(&[7; 48])))]),
        ),
        (
            "ec-zero-point",
            doc(vec![with(
                with(ec.clone(), "x", json!(b64(&[0; 48]))),
                "y",
                json!(b64(&[0; 48])),
            )]),
        ),
        (
            "rsa-even-modulus",
            doc(vec![with(rsa.clone(), "n", json!(b64(&[0xc4; 256])))]),
        ),
        (
            "rsa-exponent-one",
            doc(vec![with(rsa.clone(), "e", json!("AQ"))]),
        ),
        (
            "rsa-exponent-huge",
            doc(vec![with(rsa.clone(), "e", json!(b64(&[0xff; 8])))]),
        ),
        (
            "rsa-modulus-leading-zeros",
            doc(vec![with(
                rsa.clone(),
                "n",
                json!(b64(&[&[0u8; 4][..], &[0xc5; 256]].concat())),
            )]),
        ),
        (
            "rsa-8192",
            doc(vec![with(rsa.clone(), "n", json!(b64(&[0xc5; 1024])))]),
        ),
        (
            "rsa-1024",
            doc(vec![with(rsa.clone(), "n", json!(b64(&[0xc5; 128])))]),
        ),
        (
            "oct-and-okp",
            to_json(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})),
        ),
        ("kid-number", doc(vec![with(ec.clone(), "kid", json!(7))])),
        (
            "not-objects",
            to_json(&json!({"keys": [null, 1, "x", [], {}]})),
        ),
        (
            "duplicate-kids",
            doc(vec![ec.clone(), with(rsa, "kid", json!(ES384_KID)), ec]),
        ),
        ("empty", to_json(&json!({"keys": []}))),
        ("html", b"<html>502 Bad Gateway</html>".to_vec()),
    ]
}
