//! A private tinyproxy instance for proxy interop tests.
//!
//! [`Tinyproxy::start`] writes a config into a fresh temp dir, runs
//! tinyproxy in the foreground (`-d`) listening only on 127.0.0.1 on a free
//! port, and waits until it accepts connections. Dropping the
//! [`Tinyproxy`] kills it and removes the temp dir (set
//! `BRISK_KEEP_TINYPROXY_DIR=1` to keep it).
//!
//! The base config allows clients from 127.0.0.1 only and turns off the
//! `Via` header; a test adds the directives it needs (`BasicAuth user
//! pass`, `ConnectPort 12345`...). Without any `ConnectPort` line tinyproxy
//! tunnels to every port; with some, only to those (others get a 403).
//!
//! If tinyproxy is not installed, `start` returns `None` after printing a
//! warning, unless `BRISK_REQUIRE_TINYPROXY=1`, in which case it panics.

use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(20);
const START_ATTEMPTS: usize = 5;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running tinyproxy; killed, and its temp dir removed, on drop.
pub struct Tinyproxy {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Tinyproxy {
    /// Starts a private tinyproxy with the base config plus `extra` (one
    /// directive per line), or returns `None` (after a warning on stderr)
    /// if tinyproxy is not installed and `BRISK_REQUIRE_TINYPROXY` is not
    /// `1`. Panics, with tinyproxy's log, if it is installed but does not
    /// come up.
    pub fn start(extra: &str) -> Option<Tinyproxy> {
        let Some(bin) = find_tinyproxy() else {
            if env_flag("BRISK_REQUIRE_TINYPROXY") {
                panic!(
                    "tinyproxy is required (BRISK_REQUIRE_TINYPROXY=1) but was not found; \
                     install it with apt-get install tinyproxy"
                );
            }
            warn(
                "WARNING: tinyproxy not found: skipping tinyproxy interop tests \
                 (install tinyproxy or set BRISK_REQUIRE_TINYPROXY=1 to fail)",
            );
            return None;
        };
        let dir = make_temp_dir();
        let log = dir.join("tinyproxy.log");
        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let conf = format!(
                "Port {port}\n\
                 Listen 127.0.0.1\n\
                 Timeout 30\n\
                 MaxClients 64\n\
                 LogLevel Info\n\
                 LogFile \"{log}\"\n\
                 DisableViaHeader Yes\n\
                 Allow 127.0.0.1\n\
                 {extra}\n",
                log = log.display(),
            );
            let conf_path = dir.join("tinyproxy.conf");
            fs::write(&conf_path, conf).unwrap();
            let _ = fs::remove_file(&log);
            let stderr = fs::File::create(dir.join("stderr.log")).unwrap();
            let mut child = Command::new(&bin)
                .arg("-d")
                .arg("-c")
                .arg(&conf_path)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(stderr))
                .spawn()
                .unwrap_or_else(|e| panic!("failed to spawn {}: {e}", bin.display()));
            match wait_ready(&mut child, port) {
                Ok(()) => return Some(Tinyproxy { port, child, dir }),
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let logs = read_logs(&dir);
                    last_failure = format!("attempt {attempt}/{START_ATTEMPTS}: {why}\n{logs}");
                    // The port may have been taken between our probe and
                    // tinyproxy's bind: try another.
                    if !logs.contains("in use") {
                        break;
                    }
                }
            }
        }
        panic!(
            "tinyproxy ({}) did not start; files kept in {}:\n{last_failure}",
            bin.display(),
            dir.display()
        );
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// tinyproxy's log so far (for assertion messages).
    pub fn log(&self) -> String {
        read_logs(&self.dir)
    }

    /// The temp dir holding the config and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if env_flag("BRISK_KEEP_TINYPROXY_DIR") {
            warn(&format!("tinyproxy dir kept: {}", self.dir.display()));
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn env_flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

/// Straight to the process's stderr, past the test harness's capture.
fn warn(message: &str) {
    let line = "*".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{line}\n{message}\n{line}\n");
}

/// `$BRISK_TINYPROXY`, then `/usr/bin/tinyproxy`, then `/usr/sbin/tinyproxy`,
/// then `tinyproxy` on `PATH`.
fn find_tinyproxy() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BRISK_TINYPROXY") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    for default in ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"] {
        let default = PathBuf::from(default);
        if default.is_file() {
            return Some(default);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("tinyproxy"))
        .find(|candidate| candidate.is_file())
}

fn make_temp_dir() -> PathBuf {
    let base = std::env::temp_dir();
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "brisk-tinyproxy-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = base.join(name);
        match fs::create_dir(&dir) {
            Ok(()) => {
                // tinyproxy started as root drops to `nobody`, which must
                // still write its log here.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o777));
                }
                return dir;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("creating {}: {e}", dir.display()),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("binding 127.0.0.1:0: {e}"))
}

fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("tinyproxy exited during startup: {status}")),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for tinyproxy: {e}")),
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "tinyproxy did not accept connections on port {port} within {STARTUP_TIMEOUT:?}"
            ));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

fn read_logs(dir: &Path) -> String {
    let mut out = String::new();
    for name in ["tinyproxy.log", "stderr.log"] {
        if let Ok(text) = fs::read_to_string(dir.join(name)) {
            out.push_str(&format!("--- {name} ---\n{text}"));
        }
    }
    out
}
