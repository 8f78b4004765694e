//! What a Logto webhook (an event of Logto 1.37's `hookEvents`) means for the tokens it has
//! issued: the revocation rules it makes. The table is on `LogtoState::webhook`, with why.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::revocation::Revocation;

/// The parts of a Logto webhook body that say what changed. Logto sends more (`hookId`,
/// `userAgent`, `ip`, `status`, `application`); only these are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delivery {
    pub(crate) event: String,
    /// When Logto built the delivery, just after the change: an ISO 8601 UTC time with
    /// milliseconds (`2025-01-01T12:00:00.123Z`).
    pub(crate) created_at: String,
    /// The Management API route's path (no `/api` prefix) and method, for events of the
    /// Management API; absent for those of sign-in flows.
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) method: Option<String>,
    #[serde(default)]
    pub(crate) params: Map<String, Value>,
    #[serde(default)]
    pub(crate) data: Option<Value>,
    /// `Organization.Membership.Updated`.
    #[serde(default)]
    pub(crate) organization_id: Option<String>,
}

/// What a delivery comes to.
#[derive(Debug, PartialEq)]
pub(crate) enum Meaning {
    /// These rules, each issued before the event.
    Revoke(Vec<Revocation>),
    /// Nothing for the tokens: an event that takes nothing away (a creation, an addition, an
    /// unsuspension…), one this crate does not act on, or Logto's test delivery.
    Nothing(&'static str),
}

/// A non-empty string field of `object`.
fn text<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Delivery {
    /// A test delivery (`POST /api/hooks/:id/test`): signed like any other, with a fake path
    /// and id. It must never revoke anything.
    fn is_test(&self) -> bool {
        self.path.as_deref() == Some("/fake-path/:id")
            || text(&self.params, "id") == Some("fake-id")
    }

    fn data_field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref()?.as_object()?.get(name)
    }

    /// The rules this delivery makes, for tokens issued before `at` (seconds since the epoch).
    pub(crate) fn meaning(&self, at: f64) -> Meaning {
        if self.is_test() {
            return Meaning::Nothing("a test delivery");
        }
        let method = self.method.as_deref().unwrap_or_default();
        let user = || {
            text(&self.params, "userId")
                .or_else(|| self.data_field("id").and_then(Value::as_str))
                .filter(|id| !id.is_empty())
        };
        let org = || {
            self.organization_id
                .as_deref()
                .filter(|id| !id.is_empty())
                .or_else(|| text(&self.params, "id"))
        };
        let subject = |sub: &str| Revocation::Subject {
            sub: sub.to_owned(),
            before: at,
        };
        let everything = Meaning::Revoke(vec![Revocation::All { before: at }]);
        let unnamed = Meaning::Nothing("the delivery does not name what changed");
        match self.event.as_str() {
            "User.SuspensionStatus.Updated" => {
                if self.data_field("isSuspended") != Some(&Value::Bool(true)) {
                    return Meaning::Nothing("the user was unsuspended");
                }
                user().map_or(unnamed, |id| Meaning::Revoke(vec![subject(id)]))
            }
            "User.Deleted" => user().map_or(unnamed, |id| Meaning::Revoke(vec![subject(id)])),
            // The delivery says which organization changed, and for some routes who joined or
            // left; it says nothing of the remaining members' permissions. Every token for the
            // organization issued before goes: members fetch a fresh one, former members cannot.
            // Only an addition (`POST`: members added, an invitation accepted, just-in-time
            // provisioning) takes nothing away; a delivery without a method counts as a removal.
            "Organization.Membership.Updated" => match (method, org()) {
                ("POST", _) => Meaning::Nothing("members were added"),
                (_, Some(org)) => Meaning::Revoke(vec![Revocation::Org {
                    org_id: org.to_owned(),
                    before: at,
                }]),
                (_, None) => unnamed,
            },
            "Organization.Deleted" => org().map_or(unnamed, |org| {
                Meaning::Revoke(vec![Revocation::Org {
                    org_id: org.to_owned(),
                    before: at,
                }])
            }),
            // A scope taken from a role: the tokens of the role's holders lose it, but neither
            // the holders nor the scope's name is in the delivery (nor roles in the tokens).
            // Only an addition (`POST`) takes nothing away; a delivery without a method counts
            // as a removal.
            "Role.Scopes.Updated" | "OrganizationRole.Scopes.Updated" => match method {
                "POST" => Meaning::Nothing("scopes were added"),
                _ => everything,
            },
            // Gone for good: every token that carried what it granted.
            "Role.Deleted"
            | "Scope.Deleted"
            | "OrganizationRole.Deleted"
            | "OrganizationScope.Deleted" => everything,
            _ => Meaning::Nothing("the event takes nothing away"),
        }
    }
}

/// Seconds since the Unix epoch of an ISO 8601 UTC time as JavaScript's `toISOString` writes
/// it: `YYYY-MM-DDTHH:mm:ss[.sss]Z`.
pub(crate) fn parse_time(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let fraction = match (b[19], b.last()) {
        (b'Z', _) if b.len() == 20 => 0.0,
        (b'.', Some(b'Z')) if b.len() > 21 => {
            let digits = &text[20..b.len() - 1];
            if !digits.bytes().all(|d| d.is_ascii_digit()) {
                return None;
            }
            format!("0.{digits}").parse::<f64>().ok()?
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days since 1970-01-01 of a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
    // Algorithms").
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(secs as f64 + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meaning(body: Value) -> Meaning {
        let delivery: Delivery = serde_json::from_value(body).unwrap();
        delivery.meaning(100.0)
    }

    fn base(event: &str) -> Value {
        json!({"event": event, "createdAt": "2025-01-01T12:00:00.123Z", "hookId": "h"})
    }

    fn with(mut value: Value, extra: Value) -> Value {
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        value
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00.000Z"), Some(0.0));
        assert_eq!(
            parse_time("2025-01-01T12:00:00.123Z"),
            Some(1_735_732_800.123)
        );
        assert_eq!(parse_time("2024-02-29T23:59:59Z"), Some(1_709_251_199.0));
        for bad in [
            "",
            "2025-01-01",
            "2025-01-01T12:00:00",
            "2025-13-01T00:00:00Z",
            "2025-01-01T12:00:00.Z",
            "2025-01-01T12:00:00.1x3Z",
            "2025-01-01 12:00:00Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn suspension() {
        let suspended = with(
            base("User.SuspensionStatus.Updated"),
            json!({"method": "PATCH", "matchedRoute": "/users/:userId/is-suspended",
                   "params": {"userId": "u1"}, "data": {"id": "u1", "isSuspended": true}}),
        );
        assert_eq!(
            meaning(suspended.clone()),
            Meaning::Revoke(vec![Revocation::Subject {
                sub: "u1".into(),
                before: 100.0
            }])
        );
        let mut lifted = suspended;
        lifted["data"]["isSuspended"] = json!(false);
        assert!(matches!(meaning(lifted), Meaning::Nothing(_)));
    }

    #[test]
    fn membership() {
        let org_rule = Meaning::Revoke(vec![Revocation::Org {
            org_id: "o1".into(),
            before: 100.0,
        }]);
        // A member removed, a user or an application: every token for the organization.
        let removed = with(
            base("Organization.Membership.Updated"),
            json!({"method": "DELETE", "matchedRoute": "/organizations/:id/users/:userId",
                   "params": {"id": "o1", "userId": "u1"}, "organizationId": "o1"}),
        );
        assert_eq!(meaning(removed), org_rule);
        let app_removed = with(
            base("Organization.Membership.Updated"),
            json!({"method": "DELETE", "matchedRoute": "/organizations/:id/applications/:applicationId",
                   "params": {"id": "o1", "applicationId": "app"}, "organizationId": "o1"}),
        );
        assert_eq!(meaning(app_removed), org_rule);
        let replaced = with(
            base("Organization.Membership.Updated"),
            json!({"method": "PUT", "params": {"id": "o1"}, "organizationId": "o1"}),
        );
        assert_eq!(meaning(replaced), org_rule);
        // Only the organization named, as the payload is documented: a removal, to be safe.
        let bare = with(
            base("Organization.Membership.Updated"),
            json!({"organizationId": "o1"}),
        );
        assert_eq!(meaning(bare), org_rule);
        let joined = with(
            base("Organization.Membership.Updated"),
            json!({"method": "POST", "params": {"id": "o1"}, "organizationId": "o1"}),
        );
        assert!(matches!(meaning(joined), Meaning::Nothing(_)));
        let unnamed = base("Organization.Membership.Updated");
        assert!(matches!(meaning(unnamed), Meaning::Nothing(_)));
    }

    #[test]
    fn roles_scopes_and_test_deliveries() {
        let removed = with(
            base("Role.Scopes.Updated"),
            json!({"method": "DELETE", "params": {"id": "r1", "scopeId": "s1"}}),
        );
        assert_eq!(
            meaning(removed),
            Meaning::Revoke(vec![Revocation::All { before: 100.0 }])
        );
        let added = with(
            base("Role.Scopes.Updated"),
            json!({"method": "POST", "params": {"id": "r1"}}),
        );
        assert!(matches!(meaning(added), Meaning::Nothing(_)));
        let bare = base("OrganizationRole.Scopes.Updated");
        assert_eq!(
            meaning(bare),
            Meaning::Revoke(vec![Revocation::All { before: 100.0 }])
        );
        // Logto's test delivery is signed like a real one, and must revoke nothing.
        let test = with(
            base("Role.Deleted"),
            json!({"path": "/fake-path/:id", "method": "POST", "params": {"id": "fake-id"}}),
        );
        assert!(matches!(meaning(test), Meaning::Nothing(_)));
        assert!(matches!(meaning(base("PostSignIn")), Meaning::Nothing(_)));
        let unnamed = with(base("User.Deleted"), json!({"params": {}}));
        assert!(matches!(meaning(unnamed), Meaning::Nothing(_)));
    }
}
