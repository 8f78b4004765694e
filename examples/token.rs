//! Prints an access token of a Logto application for an API resource: what the "test your
//! implementation" step of Logto's machine-to-machine guide does with curl, through
//! `LogtoClient`. When Logto refuses, says what its error means; when it grants fewer scopes
//! than asked (it leaves out, without an error, those no role of the application gives), says
//! which.
//!
//! ```text
//! LOGTO_ENDPOINT=https://my-tenant.logto.app LOGTO_APP_ID=<app id> LOGTO_APP_SECRET=<secret> \
//!   cargo run --example token -- https://api.example.com read:docs write:docs
//! ```
//!
//! The token goes to stdout (and nothing else), what it holds to stderr:
//! `curl -H "Authorization: Bearer $(cargo run -q --example token -- …)" …` works.
//! `LOGTO_ORG_ID` asks for an organization-level token of that organization.

use std::process::ExitCode;

use axum_logto::{LogtoClient, TokenRequest, TokenRequestError, TokenRequestErrorKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let usage = "usage: LOGTO_ENDPOINT=… LOGTO_APP_ID=… LOGTO_APP_SECRET=… \
                 cargo run --example token -- <resource> [scopes…]";
    let (Some(endpoint), Some(app_id), Some(secret)) = (
        var("LOGTO_ENDPOINT"),
        var("LOGTO_APP_ID"),
        var("LOGTO_APP_SECRET"),
    ) else {
        return Err(format!(
            "set LOGTO_ENDPOINT, LOGTO_APP_ID and LOGTO_APP_SECRET\n{usage}"
        ));
    };
    let mut args = std::env::args().skip(1);
    let Some(resource) = args.next() else {
        return Err(format!("name the API resource (its indicator)\n{usage}"));
    };
    let scopes: Vec<String> = args.collect();
    let client = LogtoClient::builder(&endpoint, &app_id, secret)
        .build()
        .map_err(|error| error.to_string())?;
    let mut request = TokenRequest::resource(&resource).scopes(&scopes);
    if let Some(org) = var("LOGTO_ORG_ID") {
        request = request.org(org);
    }
    let token = client
        .token(&request)
        .await
        .map_err(|error| explain(&error, &app_id, &resource, &scopes))?;
    let granted = token.scope().unwrap_or("");
    eprintln!(
        "# a token of {app_id} for {resource}, scope {granted:?}, until {:?}",
        token.expires_at()
    );
    // Logto leaves out what the application was not granted, without an error.
    let missing: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|asked| !granted.split(' ').any(|g| g == *asked))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "# not granted: {missing:?}. Logto leaves out the scopes no role of the application \
             gives: give it a machine-to-machine role with these permissions (Roles → the role → \
             Permissions, then Applications → the application → Roles)"
        );
    }
    println!("{}", token.secret());
    Ok(())
}

/// The error, and what it means in Logto's console.
fn explain(error: &TokenRequestError, app_id: &str, resource: &str, scopes: &[String]) -> String {
    let hint = match (error.kind(), error.error()) {
        (TokenRequestErrorKind::Refused, Some("invalid_client")) => format!(
            "Logto does not know application {app_id} with this secret, or the application is \
             disabled: check LOGTO_APP_ID and LOGTO_APP_SECRET (Applications → the \
             application → App secrets)"
        ),
        (TokenRequestErrorKind::Refused, Some("invalid_target")) => format!(
            "Logto has no API resource {resource:?}, or the application may not ask for it: \
             the resource must be an API resource's identifier exactly (API resources → its \
             identifier)"
        ),
        (TokenRequestErrorKind::Refused, Some("invalid_scope")) => format!(
            "Logto refused the scopes {scopes:?} for {resource}: check their names (API \
             resources → the resource → Permissions)"
        ),
        (TokenRequestErrorKind::Refused, Some("unauthorized_client")) => {
            "the application may not use client credentials: it must be a machine-to-machine \
             application"
                .to_owned()
        }
        (TokenRequestErrorKind::Timeout | TokenRequestErrorKind::Transport, _) => {
            "Logto did not answer: check LOGTO_ENDPOINT".to_owned()
        }
        _ => "see Logto's logs for the cause".to_owned(),
    };
    format!("{error}\n{hint}")
}
