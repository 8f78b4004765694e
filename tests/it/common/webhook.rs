//! Logto webhook deliveries, as Logto 1.37 builds them, for the revocation tests.

use std::time::SystemTime;

use serde_json::{Value, json};

/// `at` as JavaScript's `toISOString` writes it (RFC 3339 UTC with milliseconds): Logto's
/// `createdAt`.
pub(crate) fn iso8601(at: SystemTime) -> String {
    let since = at.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    let secs = since.as_secs().cast_signed();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The delivery for `user` suspended at `at` (`PATCH /api/users/:userId/is-suspended`).
pub(crate) fn suspension(user: &str, at: SystemTime) -> Value {
    json!({
        "event": "User.SuspensionStatus.Updated",
        "createdAt": iso8601(at),
        "hookId": "hook-1",
        "path": format!("/users/{user}/is-suspended"),
        "method": "PATCH",
        "status": 200,
        "params": {"userId": user},
        "matchedRoute": "/users/:userId/is-suspended",
        "data": {"id": user, "isSuspended": true}
    })
}
