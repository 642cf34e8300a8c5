//! Starting a program we did not write (nginx, tinyproxy) for a test: the
//! part every such server shares.
//!
//! A [`Program`] says where its binary is looked for and which variables
//! steer it; [`Program::start`] runs it in a fresh temp dir on free
//! loopback ports, and waits until every port accepts connections (trying
//! fresh ports when one was taken meanwhile). The [`Running`] instance is
//! killed, and its temp dir removed, on drop (unless the program's keep
//! variable is set).
//!
//! A program that is not installed is skipped after a loud warning,
//! unless its require variable is set, which makes that a failure.

use std::fs::{self, File};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to wait for a program to accept connections on all its ports.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often to poll the ports while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How often to try again with fresh ports if one was taken meanwhile.
const START_ATTEMPTS: usize = 5;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A program a test starts, and the variables that steer it.
pub struct Program {
    /// Its name on `PATH` (`nginx`).
    pub name: &'static str,
    /// The variable naming its binary, looked at first (`BRISK_NGINX`).
    pub binary_var: &'static str,
    /// Where it is installed, looked at before `PATH`.
    pub installed_at: &'static [&'static str],
    /// `1` makes its absence a failure (`BRISK_REQUIRE_NGINX`).
    pub require_var: &'static str,
    /// `1` keeps its temp dir after the test (`BRISK_KEEP_NGINX_DIR`).
    pub keep_var: &'static str,
    /// Its log files in its temp dir (besides `stderr.log`), shown when it
    /// fails.
    pub logs: &'static [&'static str],
}

/// A running program; killed, and its temp dir removed, on drop.
pub struct Running {
    program: &'static Program,
    child: Child,
    dir: PathBuf,
}

impl Program {
    /// The binary: the variable's, else an installed one, else one on
    /// `PATH`. `None` (after a warning on stderr) if there is none and the
    /// require variable is not set; a panic if it is.
    pub fn find(&self) -> Option<PathBuf> {
        let found = match std::env::var_os(self.binary_var) {
            Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
            None => self
                .installed_at
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .or_else(|| {
                    let path = std::env::var_os("PATH")?;
                    std::env::split_paths(&path)
                        .map(|dir| dir.join(self.name))
                        .find(|candidate| candidate.is_file())
                }),
        };
        if found.is_none() {
            let name = self.name;
            if env_flag(self.require_var) {
                panic!(
                    "{name} is required ({}=1) but was not found; \
                     install it with apt-get install {name}",
                    self.require_var
                );
            }
            warn(&format!(
                "WARNING: {name} not found: skipping {name} interop tests \
                 (install {name} or set {}=1 to fail)",
                self.require_var
            ));
        }
        found
    }

    /// A fresh temp dir for one instance.
    pub fn temp_dir(&self) -> PathBuf {
        let base = std::env::temp_dir();
        loop {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let name = format!(
                "brisk-{}-{}-{}-{nanos}",
                self.name,
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let dir = base.join(name);
            match fs::create_dir(&dir) {
                Ok(()) => return dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => panic!("creating {}: {e}", dir.display()),
            }
        }
    }

    /// Runs `command(ports)` in `dir` (stdin and stdout closed, stderr
    /// into `stderr.log` there) until it accepts connections on every one
    /// of `N` free loopback ports, and returns it with its ports. The
    /// closure writes whatever the ports go into (a config file). When a
    /// start fails because a port was taken meanwhile (its logs say
    /// "in use"), it tries again with fresh ports; any other failure
    /// panics with the program's logs.
    pub fn start<const N: usize>(
        &'static self,
        dir: PathBuf,
        mut command: impl FnMut([u16; N]) -> Command,
    ) -> (Running, [u16; N]) {
        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let ports = free_ports::<N>();
            let stderr_path = dir.join("stderr.log");
            let stderr = File::create(&stderr_path)
                .unwrap_or_else(|e| panic!("creating {}: {e}", stderr_path.display()));
            let mut child = command(ports)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(stderr))
                .spawn()
                .unwrap_or_else(|e| panic!("failed to spawn {}: {e}", self.name));
            match wait_ready(&mut child, self.name, &ports) {
                Ok(()) => {
                    let running = Running {
                        program: self,
                        child,
                        dir,
                    };
                    return (running, ports);
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let logs = self.read_logs(&dir);
                    last_failure = format!("attempt {attempt}/{START_ATTEMPTS}: {why}\n{logs}");
                    // Another process may have taken one of the ports
                    // between our probe and the program's bind.
                    if !logs.contains("in use") {
                        break;
                    }
                }
            }
        }
        panic!(
            "{} did not start; files kept in {}:\n{last_failure}",
            self.name,
            dir.display()
        );
    }

    /// The program's logs in `dir`, each under its name.
    fn read_logs(&self, dir: &Path) -> String {
        let mut out = String::new();
        for name in self.logs.iter().copied().chain(["stderr.log"]) {
            let path = dir.join(name);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| format!("<unreadable: {e}>"));
            out.push_str(&format!("--- {} ---\n{text}\n", path.display()));
        }
        out
    }
}

impl Running {
    /// The temp dir the program runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its logs so far (for assertion messages).
    pub fn logs(&self) -> String {
        self.program.read_logs(&self.dir)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if env_flag(self.program.keep_var) {
            warn(&format!(
                "{} dir kept: {}",
                self.program.name,
                self.dir.display()
            ));
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether the variable `name` is set to `1`, `true` or `yes`.
pub fn env_flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

/// Writes straight to the process's stderr: `eprintln!` inside a test is
/// captured by the test harness and only shown if the test fails, which
/// would hide the warning in a passing run.
pub fn warn(message: &str) {
    let line = "*".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{line}\n{message}\n{line}\n");
}

/// `N` loopback ports free a moment ago (all bound at once, so distinct).
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| {
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .unwrap_or_else(|e| panic!("binding 127.0.0.1:0: {e}"))
        })
        .collect();
    let mut ports = [0u16; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"))
            .port();
    }
    ports
}

fn wait_ready(child: &mut Child, name: &str, ports: &[u16]) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("{name} exited during startup: {status}")),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for {name}: {e}")),
        }
        let ready = ports.iter().all(|&port| {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        });
        if ready {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{name} did not accept connections on ports {ports:?} within {STARTUP_TIMEOUT:?}"
            ));
        }
        thread::sleep(POLL_INTERVAL);
    }
}
