//! A real `redis-server` on a loopback port, for the tests of revocations shared between
//! replicas (`tests/it/replicas.rs`, `tests/logto/revocation.rs`). Needs `redis-server` on PATH
//! (Debian's `redis-server`); without it those tests skip with one note, unless `CI` is set.

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether `redis-server` is here. Without it: a note on stderr (once), or, with `CI` set, a
/// failure.
pub(crate) fn redis_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set, and the replica tests need redis-server on PATH (Debian: apt-get \
                 install redis-server)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "note: skipping the replica tests: redis-server is not on PATH (apt-get install \
                 redis-server; with CI set they are required)"
            );
        }
        found
    })
}

/// A free loopback port.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` on loopback, without persistence; stopped when dropped.
pub(crate) struct RedisServer(Child);

impl RedisServer {
    /// Starts one on `port` and waits (10 s at most) until it listens.
    pub(crate) fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = Self(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
