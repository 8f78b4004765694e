//! The whole validation of a token string against a fixed key set, with no network: steps 1-4
//! once (as an extractor runs them), then step 5 and the organization rule of every permission
//! model. Never panics, and accepts only tokens this target signed at start-up.
#![no_main]

use std::collections::HashSet;
use std::sync::LazyLock;

use axum_logto::fuzz::FixedValidator;
use axum_logto_fuzz::{AUDIENCE, Flow, ISSUER, Keys, ORGANIZATION, malleated, signed_tokens};
use libfuzzer_sys::fuzz_target;

struct Setup {
    validator: FixedValidator,
    /// The tokens signed at start-up that some flow accepts, and their ECDSA twins.
    may_accept: HashSet<String>,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let keys = Keys::load();
    let jwks = serde_json::to_vec(&keys.jwks()).expect("JSON");
    let validator = FixedValidator::new(&jwks, vec![ISSUER.to_owned()], vec![AUDIENCE.to_owned()])
        .expect("the fixed JWK set parses");
    let mut may_accept = HashSet::new();
    for signed in signed_tokens(&keys) {
        // The oracle is only as good as the tokens: each must do what it was signed for.
        let flows = flows(&validator, &signed.token);
        // An organization-level token never passes the global flow (a privilege escalation).
        let expected = match signed.flow {
            Flow::Global => [true, false, false, false],
            Flow::Organization => [false, true, true, false],
            Flow::OtherOrganization => [false, false, true, false],
            Flow::OrganizationResource => [false, false, false, true],
            Flow::None => [false; 4],
        };
        assert_eq!(flows, expected, "{}", signed.name);
        if signed.flow != Flow::None {
            if let Some(twin) = malleated(&signed.token) {
                may_accept.insert(twin);
            }
            may_accept.insert(signed.token);
        }
    }
    Setup {
        validator,
        may_accept,
    }
});

/// Which flows accept `token`: global (`validate`, `Auth`), organization token for
/// `ORGANIZATION`, organization token for any organization, organization-level API resource
/// for `ORGANIZATION`, each after one verification as in an extractor.
fn flows(validator: &FixedValidator, token: &str) -> [bool; 4] {
    let Ok(info) = validator.verify(token) else {
        assert!(validator.validate(token).is_err());
        return [false; 4];
    };
    let global = validator.check_global(&info).is_ok();
    assert_eq!(global, validator.validate(token).is_ok());
    let org = validator.check_organization(&info, Some(ORGANIZATION));
    if let Ok(org) = &org {
        assert_eq!(org, ORGANIZATION);
    }
    let any_org = validator.check_organization(&info, None).is_ok();
    let org_api = validator.check_organization_resource(&info, Some(ORGANIZATION));
    if let Ok(org) = &org_api {
        assert_eq!(org, ORGANIZATION);
    }
    let accepted = [global, org.is_ok(), any_org, org_api.is_ok()];
    if accepted.contains(&true) {
        assert_eq!(info.issuer(), ISSUER);
    }
    accepted
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let setup = &*SETUP;
    if flows(&setup.validator, token).contains(&true) {
        assert!(
            setup.may_accept.contains(token),
            "accepted a token this target never signed: {token:?}"
        );
    }
});
