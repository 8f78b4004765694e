//! A real Logto for the tests: built once per source archive (`prepare.sh`), run by
//! `supervisor.mjs` with its own PostgreSQL on free loopback ports, stopped when the test
//! process ends, however it ends (the supervisor's stdin closes with it).
//!
//! - [`shared`]: the instance every test of this binary may use, started on first use.
//! - [`Logto::start`]: an instance of one's own (its own database and ports), for tests that
//!   stop or restart it ([`Logto::stop`], [`Logto::start_core`], [`Logto::restart`]).
//!
//! Without `LOGTO_SOURCE` both are unavailable and the tests skip ([`available`]).
// The fixture serves the suites that later join this binary too: not every helper is used yet.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::management::Management;

/// How to run this suite, for the skip note and the CI failure.
pub(crate) const HOW_TO_RUN: &str =
    "LOGTO_SOURCE=../shared/logto/logto-1.37.1-src.tar.gz cargo test --all-features --test logto";

/// How long `prepare.sh` may take (a cold install and build takes 1–3 minutes here).
const PREPARE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long a Logto instance may take to start: database, seed, core.
const START_TIMEOUT: Duration = Duration::from_secs(4 * 60);
/// How long a command (stop, start, restart core) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3 * 60);

/// Whether the suite can run: `LOGTO_SOURCE` names the Logto source archive. Without it the
/// tests skip, with one line on stderr for the whole process; with `CI` set they are required
/// and this panics.
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var_os("LOGTO_SOURCE").is_some_and(|s| !s.is_empty()) {
            return true;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set, and the tests against a real Logto need LOGTO_SOURCE (the path of a \
             Logto source archive): {HOW_TO_RUN}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "note: skipping the tests against a real Logto (LOGTO_SOURCE is not set); run them \
             with `{HOW_TO_RUN}`"
        );
        false
    })
}

/// `target/logto`: where the build, the tools and each instance's run directory live.
pub(crate) fn cache_dir() -> PathBuf {
    // The test binary is target/<profile>/deps/logto-<hash>.
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<binary>");
    target.join("logto")
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("logto")
        .join(name)
}

/// The built Logto workspace and the Node.js that runs it.
#[derive(Debug, Clone)]
struct Build {
    logto_dir: PathBuf,
    node: PathBuf,
}

/// Runs `prepare.sh` once per process: a no-op when the archive's build is cached.
fn build() -> Result<Build, String> {
    static BUILD: OnceLock<Result<Build, String>> = OnceLock::new();
    BUILD
        .get_or_init(|| {
            let cache = cache_dir();
            std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
            let log = cache.join("prepare.log");
            let mut child = Command::new("bash")
                .arg(script("prepare.sh"))
                .arg(&cache)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                // prepare.sh writes its progress to its log file too.
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("step prepare: could not run bash prepare.sh: {e}"))?;
            let mut stdout = child.stdout.take().unwrap();
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut out = String::new();
                let _ = stdout.read_to_string(&mut out);
                let _ = tx.send(out);
            });
            let fail = |what: String| {
                format!(
                    "step prepare (install and build Logto from LOGTO_SOURCE) {what}; read {}:\n{}",
                    log.display(),
                    tail(&log, 30)
                )
            };
            let Ok(out) = rx.recv_timeout(PREPARE_TIMEOUT) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!("timed out after {PREPARE_TIMEOUT:?}")));
            };
            let status = child.wait().unwrap();
            if !status.success() {
                return Err(fail(format!("failed ({status})")));
            }
            let line = out.lines().last().unwrap_or_default();
            let mut words = line.split(' ');
            match (words.next(), words.next(), words.next(), words.next()) {
                (Some("logto"), Some(dir), Some("node"), Some(node)) => Ok(Build {
                    logto_dir: dir.into(),
                    node: node.into(),
                }),
                _ => Err(fail(format!("printed no result line (got {line:?})"))),
            }
        })
        .clone()
}

/// The last `lines` lines of a log file, for a failure message.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// PostgreSQL's bin directory: `LOGTO_PG_BIN`, else Debian's newest
/// `/usr/lib/postgresql/<version>/bin`, else the directory of `initdb` on PATH.
fn pg_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("LOGTO_PG_BIN") {
        return Ok(dir.into());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
        .ok_or_else(|| {
            "step postgres: PostgreSQL's initdb and postgres were not found (apt-get install \
             postgresql, or set LOGTO_PG_BIN)"
                .to_owned()
        })
}

/// Removes the run directories (logs) of test processes that are gone: `<pid>-<name>`.
fn remove_dead_runs(runs: &Path) {
    for entry in std::fs::read_dir(runs).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.split('-').next());
        if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The supervisor's pipes: commands go in, answers come out.
#[derive(Debug)]
struct Supervisor {
    child: Child,
    /// `None` once closed: the signal to stop.
    stdin: Option<ChildStdin>,
    answers: Receiver<String>,
}

/// A running Logto instance.
#[derive(Debug)]
pub(crate) struct Logto {
    /// `http://127.0.0.1:<port>`: core's endpoint (issuer `<endpoint>/oidc`).
    pub(crate) endpoint: String,
    /// This instance's run directory: `core.log`, `postgres.log`, `seed.log`.
    pub(crate) run_dir: PathBuf,
    /// The Management API, as the bootstrap application.
    pub(crate) management: Management,
    supervisor: Mutex<Supervisor>,
}

impl Logto {
    /// Starts an instance of one's own: a fresh database, its own ports. Blocking; call it from
    /// sync code or `spawn_blocking`. Stopped when dropped, or when the test process ends.
    pub(crate) fn start(name: &str) -> Result<Self, String> {
        let build = build()?;
        let pg_bin = pg_bin()?;
        let runs = cache_dir().join("run");
        remove_dead_runs(&runs);
        let run_dir = runs.join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&run_dir);
        std::fs::create_dir_all(&run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
        let log = run_dir.join("supervisor.log");
        let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut child = Command::new(&build.node)
            .arg(script("supervisor.mjs"))
            .env("LOGTO_DIR", &build.logto_dir)
            .env("RUN_DIR", &run_dir)
            .env("PG_BIN", &pg_bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("step supervisor: could not start node supervisor.mjs: {e}"))?;
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut supervisor = Supervisor {
            child,
            stdin: Some(stdin),
            answers,
        };
        let line = supervisor.answer("start", START_TIMEOUT, &log)?;
        let Some(ready) = line.strip_prefix("ready ") else {
            return Err(describe_error("start", &line, &log));
        };
        let ready: Value = serde_json::from_str(ready).map_err(|e| e.to_string())?;
        let text = |pointer: &str| ready.pointer(pointer).unwrap().as_str().unwrap().to_owned();
        let endpoint = text("/endpoint");
        Ok(Self {
            management: Management::new(&endpoint, &text("/m2m/id"), &text("/m2m/secret")),
            endpoint,
            run_dir,
            supervisor: Mutex::new(supervisor),
        })
    }

    /// `<endpoint>/oidc`.
    pub(crate) fn issuer(&self) -> String {
        format!("{}/oidc", self.endpoint)
    }

    /// `<endpoint>/oidc/token`.
    pub(crate) fn token_endpoint(&self) -> String {
        format!("{}/oidc/token", self.endpoint)
    }

    /// Stops Logto core (the database keeps running). Blocking.
    pub(crate) fn stop(&self) {
        self.command("stop");
    }

    /// Starts Logto core again, on the same ports and database. Blocking.
    pub(crate) fn start_core(&self) {
        self.command("start");
    }

    /// Restarts Logto core, as a rotated key needs. Blocking.
    pub(crate) fn restart(&self) {
        self.command("restart");
    }

    fn command(&self, command: &str) {
        let mut supervisor = self
            .supervisor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stdin = supervisor.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
        let log = self.run_dir.join("supervisor.log");
        let line = supervisor
            .answer(command, COMMAND_TIMEOUT, &log)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            line,
            format!("ok {command}"),
            "{}",
            describe_error(command, &line, &log)
        );
    }
}

impl Supervisor {
    fn answer(&mut self, what: &str, timeout: Duration, log: &Path) -> Result<String, String> {
        let started = Instant::now();
        match self.answers.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "{what}: Logto's supervisor did not answer within {:?}; read {}:\n{}",
                started.elapsed(),
                log.display(),
                tail(log, 20)
            )),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait();
                Err(format!(
                    "{what}: Logto's supervisor exited ({status:?}); read {}:\n{}",
                    log.display(),
                    tail(log, 20)
                ))
            }
        }
    }
}

/// A failure message from the supervisor's `error <step> <log> <message>` line: the step, the
/// message, the log to read and its last lines.
fn describe_error(what: &str, line: &str, supervisor_log: &Path) -> String {
    let mut parts = line.splitn(4, ' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("error"), Some(step), Some(log), Some(message)) => format!(
            "{what}: Logto's step `{step}` failed: {message}; read {log}:\n{}",
            tail(Path::new(log), 30)
        ),
        _ => format!(
            "{what}: unexpected answer {line:?} from Logto's supervisor; read {}",
            supervisor_log.display()
        ),
    }
}

impl Drop for Logto {
    fn drop(&mut self) {
        let supervisor = self
            .supervisor
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Closing stdin is the signal: the supervisor stops core and the database, then exits.
        drop(supervisor.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = supervisor.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = supervisor.child.kill();
        let _ = supervisor.child.wait();
    }
}

/// The Logto instance shared by every test of this binary, started (and its scenario set up,
/// see `world`) on first use; `None` when the suite is skipped. It runs until the test process
/// exits: statics are never dropped, and the supervisor stops everything when its stdin (held
/// here) closes with the process.
pub(crate) fn shared() -> Option<&'static Logto> {
    static SHARED: OnceLock<Result<Logto, String>> = OnceLock::new();
    if !available() {
        return None;
    }
    match SHARED.get_or_init(|| Logto::start("shared")) {
        Ok(logto) => Some(logto),
        Err(error) => panic!("the shared Logto did not start: {error}"),
    }
}

/// Runs `future` to completion on a runtime of its own, in a thread of its own: callable from
/// sync code and from inside any test's runtime. A panic becomes its message, so that a
/// `OnceLock` keeps the failure instead of every test retrying the set-up.
pub(crate) fn block_on_own_runtime<T: Send + 'static>(
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    })
    .join()
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}
