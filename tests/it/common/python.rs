//! The Python tools that check OpenAPI documents, written by others: `openapi-spec-validator`
//! (is the document valid OpenAPI?) and `schemathesis` (does the server answer as the document
//! says?), installed with pip into a virtual environment under the target directory, once.
//!
//! Without Python 3.11+ and its `venv` module the tests that need them are skipped, with one
//! line on stderr saying how to run them; with `CI` set they are required.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The versions the tests were written against.
const TOOLS: [&str; 2] = ["openapi-spec-validator==0.9.0", "schemathesis==4.32.5"];

/// The virtual environment's `bin` folder, or `None` (after the note) when Python is missing.
pub(crate) fn tools() -> Option<&'static Path> {
    static TOOLS_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    TOOLS_DIR.get_or_init(install).as_deref()
}

fn install() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi-venv");
    let bin = venv.join("bin");
    let installed = venv.join(format!("installed-{}", TOOLS.join("-")));
    if installed.exists() {
        return Some(bin);
    }
    let python = Command::new("python3")
        .args([
            "-c",
            "import sys, venv; assert sys.version_info >= (3, 11), sys.version",
        ])
        .output();
    if !python.as_ref().is_ok_and(|output| output.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set, and the OpenAPI tests need Python 3.11+ with its venv module \
             (`python3 -m venv`) to run openapi-spec-validator and schemathesis: {python:?}"
        );
        // Straight to stderr, past the test harness's capture: one line, once.
        let _ = writeln!(
            std::io::stderr(),
            "note: skipping the OpenAPI tool tests: they need Python 3.11+ with venv \
             (`python3 -m venv`; Debian: apt-get install python3-venv) to pip-install \
             openapi-spec-validator and schemathesis (with CI set they are required)"
        );
        return None;
    }
    let status = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()
        .expect("run python3 -m venv");
    assert!(
        status.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let output = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(TOOLS)
        .output()
        .expect("run pip");
    assert!(
        output.status.success(),
        "pip install {TOOLS:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&installed, "").unwrap();
    Some(bin)
}

/// A folder of its own for one test's files under the target directory.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("openapi")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `openapi-spec-validator` on `document`; panics with its findings if it is not valid.
pub(crate) fn validate(bin: &Path, name: &str, document: &Value) {
    let file = scratch(name).join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    let output = Command::new(bin.join("openapi-spec-validator"))
        .args(["--validation-errors", "all"])
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    assert!(
        output.status.success(),
        "openapi-spec-validator refuses {}:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
