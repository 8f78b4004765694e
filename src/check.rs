//! Checks on a token's claims as types: [`ClaimCheck`], used by
//! [`RequireClaims`](crate::RequireClaims), and the built-in [`MachineToMachine`] and
//! [`UserToken`].

use serde::de::DeserializeOwned;

use crate::claims::{AuthInfo, NoClaims};

/// A rule on a token's claims, as a marker type, so that a handler states it in its signature
/// the way it states scopes: `RequireClaims<IsAdmin>`. A token that fails it gets 403
/// `insufficient_scope` with [`DESCRIPTION`](Self::DESCRIPTION).
///
/// ```
/// use axum_logto::{AuthInfo, ClaimCheck, RequireClaims};
/// use serde::Deserialize;
///
/// /// The roles a Logto "custom JWT" script puts in the token.
/// #[derive(Deserialize)]
/// struct Roles {
///     #[serde(default)]
///     roles: Vec<String>,
/// }
///
/// struct IsAdmin;
///
/// impl ClaimCheck for IsAdmin {
///     type Claims = Roles;
///     const DESCRIPTION: &'static str = "the access token lacks the admin role";
///
///     fn check(_: &AuthInfo, claims: &Roles) -> bool {
///         claims.roles.iter().any(|role| role == "admin")
///     }
/// }
///
/// async fn stats(admin: RequireClaims<IsAdmin>) -> String {
///     format!("{} is an admin with roles {:?}", admin.sub(), admin.custom().roles)
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a claim check",
    label = "not a `ClaimCheck`",
    note = "implement `axum_logto::ClaimCheck` for `{Self}`, or use the built-in `MachineToMachine` or `UserToken`"
)]
pub trait ClaimCheck: Send + Sync + 'static {
    /// The custom claims the check reads ([`NoClaims`] when it reads only what
    /// [`AuthInfo`] has); [`RequireClaims::custom`](crate::RequireClaims::custom) returns them.
    type Claims: DeserializeOwned + Send + Sync + 'static;

    /// The fixed `error_description` of the 403: printable ASCII without `"` or `\` (checked
    /// when the extractor is compiled).
    const DESCRIPTION: &'static str;

    /// Whether the token passes.
    fn check(info: &AuthInfo, claims: &Self::Claims) -> bool;
}

/// A machine-to-machine token only: the application acting for itself (`sub == client_id`).
/// A user's token gets 403.
///
/// ```
/// use axum_logto::{MachineToMachine, RequireClaims};
///
/// async fn jobs(machine: RequireClaims<MachineToMachine>) -> String {
///     format!("jobs of application {}", machine.sub())
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MachineToMachine;

impl ClaimCheck for MachineToMachine {
    type Claims = NoClaims;
    const DESCRIPTION: &'static str = "the access token is not a machine-to-machine token";

    fn check(info: &AuthInfo, _: &NoClaims) -> bool {
        info.is_machine_to_machine()
    }
}

/// A user's token only (`sub` is not the `client_id`): a machine-to-machine token gets 403.
#[derive(Debug, Clone, Copy)]
pub struct UserToken;

impl ClaimCheck for UserToken {
    type Claims = NoClaims;
    const DESCRIPTION: &'static str = "the access token is not a user token";

    fn check(info: &AuthInfo, _: &NoClaims) -> bool {
        !info.is_machine_to_machine()
    }
}

/// Whether `text` can stand in a quoted challenge parameter as it is: printable ASCII without
/// `"` or `\`, and not empty.
pub(crate) const fn is_quotable(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b > 0x7e || b == b'"' || b == b'\\' {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_quotable() {
        assert!(is_quotable(MachineToMachine::DESCRIPTION));
        assert!(is_quotable(UserToken::DESCRIPTION));
        for bad in ["", "a\"b", "a\\b", "tab\t", "é"] {
            assert!(!is_quotable(bad), "{bad:?}");
        }
    }
}
