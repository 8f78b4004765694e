//! The payload as typed claims: [`AuthInfo`]. A registered claim of the wrong JSON type is a
//! rejection, never "absent".

use serde_json::{Map, Value};

use super::error::InvalidTokenReason;
use crate::claims::{Actor, AuthInfo, AuthInfoData, NumericDate, Scopes};
use crate::scope::ScopeHierarchy;

const BAD: InvalidTokenReason = InvalidTokenReason::InvalidClaims;

fn string(claims: &Map<String, Value>, name: &str) -> Result<Option<String>, InvalidTokenReason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(BAD),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, possibly with a fraction, kept exact so that
/// no rounding favours the sender.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<NumericDate>, InvalidTokenReason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| Some(NumericDate(f)))
            .ok_or(BAD),
        Some(_) => Err(BAD),
    }
}

/// Builds the typed view of a payload; its scopes with those `hierarchy` implies. A
/// sender-constrained token (`cnf`) is refused here: nothing checks its proof of possession.
pub(crate) fn auth_info(
    claims: Map<String, Value>,
    hierarchy: &ScopeHierarchy,
) -> Result<AuthInfo, InvalidTokenReason> {
    if claims.contains_key("cnf") {
        return Err(InvalidTokenReason::SenderConstrained);
    }
    let audience = match claims.get("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or(BAD))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(BAD),
    };
    let actor = match claims.get("act") {
        None => None,
        Some(act) => Some(Actor::from_claim(act).ok_or(BAD)?),
    };
    let scopes = match claims.get("scope") {
        None => Scopes::default(),
        Some(Value::String(s)) => hierarchy.expand(Scopes::parse(s)),
        Some(_) => return Err(BAD),
    };
    Ok(AuthInfo::new(AuthInfoData {
        issuer: string(&claims, "iss")?.ok_or(BAD)?,
        sub: string(&claims, "sub")?.ok_or(BAD)?,
        expires_at: numeric_date(&claims, "exp")?.ok_or(BAD)?,
        audience: audience.ok_or(BAD)?,
        client_id: string(&claims, "client_id")?,
        organization_id: string(&claims, "organization_id")?,
        jti: string(&claims, "jti")?,
        issued_at: numeric_date(&claims, "iat")?,
        not_before: numeric_date(&claims, "nbf")?,
        actor,
        scopes,
        claims,
        custom: Default::default(),
        revocations_seen: Default::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimTypeError;
    use serde_json::json;

    fn auth_info(claims: Map<String, Value>) -> Result<AuthInfo, InvalidTokenReason> {
        super::auth_info(claims, &ScopeHierarchy::default())
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test input is an object"),
        }
    }

    fn base() -> Value {
        json!({"iss": "https://t/oidc", "sub": "u1", "exp": 2000000000, "aud": "https://api",
               "client_id": "app", "scope": "a b a", "jti": "j", "iat": 1700000000.5})
    }

    #[test]
    fn parses_logto_claims() {
        let info = auth_info(claims(base())).unwrap();
        assert_eq!(info.sub(), "u1");
        assert_eq!(info.client_id(), Some("app"));
        assert_eq!(info.audiences(), ["https://api"]);
        assert_eq!(info.scopes().iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(info.issued_at(), Some(1700000000));
        assert_eq!(info.expires_at(), 2000000000);
        assert!(!info.is_machine_to_machine());
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            json!({"sub": "u1", "clientId": "app", "organizationId": null, "scopes": ["a", "b"],
                   "audience": ["https://api"], "issuer": "https://t/oidc", "jti": "j",
                   "issuedAt": 1700000000, "expiresAt": 2000000000})
        );
    }

    #[test]
    fn wrong_types_are_rejections_not_absent() {
        for (name, value) in [
            ("exp", json!("2000000000")),
            ("scope", json!(["a", "b"])),
            ("aud", json!(["x", 1])),
            ("aud", json!(7)),
            ("iss", json!(null)),
            ("sub", json!(1)),
            ("client_id", json!(1)),
            ("organization_id", json!(["o"])),
            ("iat", json!("now")),
            ("nbf", json!(true)),
            ("jti", json!({})),
            ("act", json!("someone")),
            ("act", json!({"sub": 1})),
        ] {
            let mut c = claims(base());
            c.insert(name.to_owned(), value);
            assert_eq!(
                auth_info(c).unwrap_err(),
                InvalidTokenReason::InvalidClaims,
                "{name}"
            );
        }
        for required in ["iss", "sub", "exp", "aud"] {
            let mut c = claims(base());
            c.remove(required);
            assert_eq!(
                auth_info(c).unwrap_err(),
                InvalidTokenReason::InvalidClaims,
                "{required}"
            );
        }
    }

    #[test]
    fn sender_constrained_tokens_are_refused() {
        for cnf in [
            json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
            json!({"x5t#S256": "x"}),
            json!(null),
        ] {
            let mut c = claims(base());
            c.insert("cnf".into(), cnf);
            assert_eq!(
                auth_info(c).unwrap_err(),
                InvalidTokenReason::SenderConstrained
            );
        }
    }

    #[test]
    fn scope_missing_or_empty_means_none() {
        let mut c = claims(base());
        c.remove("scope");
        assert!(auth_info(c).unwrap().scopes().is_empty());
        let mut c = claims(base());
        c.insert("scope".into(), json!(""));
        assert!(auth_info(c).unwrap().scopes().is_empty());
    }

    #[test]
    fn organization_helpers() {
        let mut c = claims(base());
        c.insert(
            "aud".into(),
            json!(["urn:logto:organization:o1", "https://api"]),
        );
        c.insert("organization_id".into(), json!("o2"));
        c.insert("sub".into(), json!("app"));
        let info = auth_info(c).unwrap();
        assert_eq!(crate::claims::audience_org_id(info.audiences()), Some("o1"));
        assert!(info.has_org_audience("o1"));
        assert!(!info.has_org_audience("o2"));
        // The claim names the organization of an organization-level token.
        assert_eq!(info.org_id(), Some("o2"));
        assert!(info.is_machine_to_machine());
    }

    #[test]
    fn typed_custom_claims() {
        let mut c = claims(base());
        c.insert("roles".into(), json!(["admin"]));
        let info = auth_info(c).unwrap();
        assert_eq!(
            info.claim::<Vec<String>>("roles"),
            Ok(Some(vec!["admin".to_owned()]))
        );
        assert_eq!(info.claim::<u32>("roles"), Err(ClaimTypeError));
        assert_eq!(info.claim::<u32>("absent"), Ok(None));
    }
}
