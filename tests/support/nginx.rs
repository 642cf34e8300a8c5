//! A private nginx instance for interop tests.
//!
//! [`Nginx::start`] writes a config, a document root and test certificates
//! into a fresh temp dir, runs nginx in the foreground as a single process
//! (`daemon off; master_process off;`) listening only on 127.0.0.1, and waits
//! until every port accepts connections. Dropping the [`Nginx`] kills it and
//! removes the temp dir (set `BRISK_KEEP_NGINX_DIR=1` to keep it).
//!
//! If nginx is not installed, `start` returns `None` after printing a
//! warning, unless `BRISK_REQUIRE_NGINX=1`, in which case it panics.
//!
//! Every server (plain and TLS) serves the same locations:
//!
//! | path                | response                                                         |
//! |---------------------|------------------------------------------------------------------|
//! | `/hello.txt`        | 200, `Content-Length: 17`, `text/plain`, body [`HELLO_BODY`]     |
//! | `/`                 | 200, `text/html`, body [`INDEX_BODY`] (`index.html`)             |
//! | `/big.bin`          | 200, `Content-Length: 1048576`, `application/octet-stream`, [`big_body`] |
//! | `/chunked.txt`      | 200, `Transfer-Encoding: chunked`, body [`CHUNKED_BODY`]         |
//! | `/big-chunked.bin`  | 200, `Transfer-Encoding: chunked`, body [`big_body`] (1 MiB)     |
//! | `/close`            | 200, `Connection: close`, `Content-Length: 8`, body `closing\n`  |
//! | `/redirect`         | 302, `Location: <scheme>://<Host header name>:<port>/hello.txt`  |
//! | `/redirect-relative`| 302, `Location: /hello.txt`                                      |
//! | `/to-http`          | 302, `Location: http://127.0.0.1:<http port>/hello.txt`          |
//! | `/echo-status/204`  | 204, no body, no `Content-Length`                                |
//! | `/echo-status/404`  | 404, nginx's HTML error page with `Content-Length`               |
//! | `/echo-status/500`  | 500, nginx's HTML error page, `Connection: close` (nginx's choice) |
//! | anything else       | static file from `root`, or 404                                  |
//!
//! All responses except `/close` and `/echo-status/500` keep the connection
//! alive (`keepalive_timeout 65; keepalive_requests 100000;`). The 302s say
//! `Moved Temporarily` and carry a small HTML body with `Content-Length`.
//!
//! Besides `http_port` and `https_port` there are three more TLS ports with
//! the same locations but a bad certificate: `expired_port`,
//! `wrong_host_port` and `unknown_ca_port`.

use std::fs::{self, File};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::certs::{self, Certs};

/// Body of `/hello.txt`.
pub const HELLO_BODY: &str = "hello from nginx\n";
/// Body of `/chunked.txt` (sent with `Transfer-Encoding: chunked`).
pub const CHUNKED_BODY: &str = "chunked body from nginx\n";
/// Body of `/` (`index.html`).
pub const INDEX_BODY: &str = "<!doctype html><title>brisk</title>brisk nginx interop root\n";
/// Body of `/close`.
pub const CLOSE_BODY: &str = "closing\n";
/// Length of `/big.bin` and `/big-chunked.bin`.
pub const BIG_LEN: usize = 1024 * 1024;

/// The body of `/big.bin` and `/big-chunked.bin`: byte `i` is `i % 251`.
pub fn big_body() -> Vec<u8> {
    (0..BIG_LEN).map(|i| (i % 251) as u8).collect()
}

/// How long to wait for nginx to accept connections on all of its ports.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often to poll the ports while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How often to retry with fresh ports if one was taken in the meantime.
const START_ATTEMPTS: usize = 5;

/// A search string `sub_filter` never finds in any served file: it only
/// serves to make nginx drop `Content-Length` and answer with chunked
/// transfer encoding. (`big.bin` contains runs like `xyz`, so no letters.)
const NEVER_MATCHES: &str = "@@brisk-never-matches@@";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running nginx; killed, and its temp dir removed, on drop.
pub struct Nginx {
    /// Plain HTTP/1.1 on 127.0.0.1.
    pub http_port: u16,
    /// HTTPS on 127.0.0.1 with `certs.server_cert` (valid for `localhost`
    /// and `127.0.0.1`, signed by `certs.ca_cert`), TLS 1.2 and 1.3.
    pub https_port: u16,
    /// HTTPS on 127.0.0.1 presenting `certs.expired_cert`.
    pub expired_port: u16,
    /// HTTPS on 127.0.0.1 presenting `certs.wrong_host_cert` (only valid for
    /// `wrong.example`).
    pub wrong_host_port: u16,
    /// HTTPS on 127.0.0.1 presenting `certs.unknown_ca_cert` (signed by a CA
    /// the client does not trust).
    pub unknown_ca_port: u16,
    /// The generated certificates.
    pub certs: Certs,
    /// The document root.
    pub root: PathBuf,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts a private nginx, or returns `None` (after a warning on stderr)
    /// if nginx is not installed and `BRISK_REQUIRE_NGINX` is not `1`.
    ///
    /// Panics, with nginx's error log, if nginx is installed but does not
    /// come up.
    pub fn start() -> Option<Nginx> {
        let Some(nginx) = find_nginx() else {
            if require_nginx() {
                panic!(
                    "nginx is required (BRISK_REQUIRE_NGINX=1) but was not found; \
                     install it with apt-get install nginx"
                );
            }
            warn(
                "WARNING: nginx not found: skipping nginx interop tests \
                 (install nginx or set BRISK_REQUIRE_NGINX=1 to fail)",
            );
            return None;
        };

        let dir = make_temp_dir();
        check_nginx_safe(&dir);
        let certs = certs::generate(&dir.join("certs"));
        let root = dir.join("root");
        write_root(&root);
        let supports_e = supports_error_log_flag(&nginx);

        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let ports = free_ports::<5>();
            let conf = config(&dir, &root, &certs, ports);
            let conf_path = dir.join("nginx.conf");
            write(&conf_path, conf.as_bytes());
            let error_log = dir.join("error.log");
            let _ = fs::remove_file(&error_log);
            let stderr_path = dir.join("stderr.log");
            let stderr = File::create(&stderr_path)
                .unwrap_or_else(|e| panic!("creating {}: {e}", stderr_path.display()));

            let mut command = Command::new(&nginx);
            command.arg("-p").arg(&dir);
            if supports_e {
                command.arg("-e").arg(&error_log);
            }
            command
                .arg("-c")
                .arg(&conf_path)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(stderr));
            let mut child = command
                .spawn()
                .unwrap_or_else(|e| panic!("failed to spawn {}: {e}", nginx.display()));

            match wait_ready(&mut child, &ports) {
                Ok(()) => {
                    return Some(Nginx {
                        http_port: ports[0],
                        https_port: ports[1],
                        expired_port: ports[2],
                        wrong_host_port: ports[3],
                        unknown_ca_port: ports[4],
                        certs,
                        root,
                        child,
                        dir,
                    });
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let logs = read_logs(&dir);
                    last_failure = format!(
                        "attempt {attempt}/{START_ATTEMPTS} with {}: {why}\n{logs}",
                        conf_path.display()
                    );
                    // Another process may have grabbed one of the ports
                    // between our probe and nginx's bind: try fresh ones.
                    if !logs.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        panic!(
            "nginx ({}) did not start; files kept in {}:\n{last_failure}",
            nginx.display(),
            dir.display()
        );
    }

    /// `http://127.0.0.1:<http_port><path>`; `path` should start with `/`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// `https://localhost:<https_port><path>`; `path` should start with `/`.
    /// nginx only listens on 127.0.0.1, so a client must not insist on `::1`.
    pub fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.https_port)
    }

    /// The temp dir holding the config, logs, certs and document root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current content of nginx's error log (useful in assertion
    /// messages).
    pub fn error_log(&self) -> String {
        read_logs(&self.dir)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if env_flag("BRISK_KEEP_NGINX_DIR") {
            warn(&format!("nginx dir kept: {}", self.dir.display()));
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn env_flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

fn require_nginx() -> bool {
    env_flag("BRISK_REQUIRE_NGINX")
}

/// Writes straight to the process's stderr: `eprintln!` inside a test is
/// captured by the test harness and only shown if the test fails, which
/// would hide the warning in a passing run.
fn warn(message: &str) {
    let line = "*".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{line}\n{message}\n{line}\n");
}

/// `$BRISK_NGINX`, then `/usr/sbin/nginx`, then `nginx` on `PATH`.
fn find_nginx() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BRISK_NGINX") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let default = PathBuf::from("/usr/sbin/nginx");
    if default.is_file() {
        return Some(default);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

/// `-e` (error log before the config is read) exists since nginx 1.19.5.
fn supports_error_log_flag(nginx: &Path) -> bool {
    Command::new(nginx)
        .arg("-h")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text.contains("-e filename")
        })
}

/// Creates a fresh, unique directory under the system temp dir.
fn make_temp_dir() -> PathBuf {
    let base = std::env::temp_dir();
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "brisk-nginx-{}-{}-{nanos}",
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

/// The paths go into nginx.conf inside double quotes, where `"` and `\` are
/// special and `$` starts a variable (in `root`): refuse such temp dirs.
fn check_nginx_safe(dir: &Path) {
    let text = dir
        .to_str()
        .unwrap_or_else(|| panic!("temp dir {} is not UTF-8; set TMPDIR", dir.display()));
    assert!(
        !text.contains(|c: char| c == '"' || c == '\\' || c == '$' || c.is_control()),
        "temp dir {text} contains characters nginx.conf cannot quote; set TMPDIR"
    );
}

fn write(path: &Path, contents: &[u8]) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn write_root(root: &Path) {
    fs::create_dir_all(root).unwrap_or_else(|e| panic!("creating {}: {e}", root.display()));
    write(&root.join("hello.txt"), HELLO_BODY.as_bytes());
    write(&root.join("chunked.txt"), CHUNKED_BODY.as_bytes());
    write(&root.join("index.html"), INDEX_BODY.as_bytes());
    let big = big_body();
    write(&root.join("big.bin"), &big);
    write(&root.join("big-chunked.bin"), &big);
}

/// Picks `N` distinct free loopback ports (all listeners are held at once so
/// the ports differ, then released for nginx to bind).
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

/// Waits until nginx accepts TCP connections on every port.
fn wait_ready(child: &mut Child, ports: &[u16]) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("nginx exited during startup: {status}")),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for nginx: {e}")),
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
                "nginx did not accept connections on ports {ports:?} within {STARTUP_TIMEOUT:?}"
            ));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

fn read_logs(dir: &Path) -> String {
    let mut out = String::new();
    for name in ["error.log", "stderr.log"] {
        let path = dir.join(name);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| format!("<unreadable: {e}>"));
        out.push_str(&format!("--- {} ---\n{text}\n", path.display()));
    }
    out
}

/// The locations shared by every server block.
fn locations(root: &Path, http_port: u16) -> String {
    let root = root.display();
    format!(
        r#"        root "{root}";
        index index.html;

        location / {{
        }}

        # sub_filter drops Content-Length, so HTTP/1.1 clients get chunked.
        location = /chunked.txt {{
            sub_filter_types *;
            sub_filter "{NEVER_MATCHES}" "";
            sub_filter_once off;
        }}

        location = /big-chunked.bin {{
            sub_filter_types *;
            sub_filter "{NEVER_MATCHES}" "";
            sub_filter_once off;
        }}

        location = /close {{
            keepalive_timeout 0;
            default_type text/plain;
            return 200 "closing\n";
        }}

        location = /redirect {{
            return 302 /hello.txt;
        }}

        # From the TLS servers, a downgrade to plain http.
        location = /to-http {{
            return 302 http://127.0.0.1:{http_port}/hello.txt;
        }}

        location = /redirect-relative {{
            absolute_redirect off;
            return 302 /hello.txt;
        }}

        location = /echo-status/204 {{
            return 204;
        }}

        location = /echo-status/404 {{
            return 404;
        }}

        location = /echo-status/500 {{
            return 500;
        }}
"#
    )
}

fn tls_server(port: u16, cert: &Path, key: &Path, locations: &str) -> String {
    format!(
        r#"    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate "{cert}";
        ssl_certificate_key "{key}";
        ssl_protocols TLSv1.2 TLSv1.3;

{locations}    }}
"#,
        cert = cert.display(),
        key = key.display(),
    )
}

/// nginx.conf: one foreground process as the current user (no `user`
/// directive: with `master_process off` nginx never switches user, also
/// not as root), every path inside `dir`.
fn config(dir: &Path, root: &Path, certs: &Certs, ports: [u16; 5]) -> String {
    let d = dir.display();
    let [http, https, expired, wrong_host, unknown_ca] = ports;
    let locations = locations(root, http);
    let mut conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid "{d}/nginx.pid";
lock_file "{d}/nginx.lock";
error_log "{d}/error.log" warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    server_tokens off;

    client_body_temp_path "{d}/client_body_temp";
    proxy_temp_path "{d}/proxy_temp";
    fastcgi_temp_path "{d}/fastcgi_temp";
    uwsgi_temp_path "{d}/uwsgi_temp";
    scgi_temp_path "{d}/scgi_temp";

    types {{
        text/html html;
        text/plain txt;
        application/octet-stream bin;
    }}
    default_type application/octet-stream;

    chunked_transfer_encoding on;
    keepalive_timeout 65;
    keepalive_requests 100000;

    server {{
        listen 127.0.0.1:{http};

{locations}    }}

"#
    );
    conf.push_str(&tls_server(
        https,
        &certs.server_cert,
        &certs.server_key,
        &locations,
    ));
    conf.push_str(&tls_server(
        expired,
        &certs.expired_cert,
        &certs.expired_key,
        &locations,
    ));
    conf.push_str(&tls_server(
        wrong_host,
        &certs.wrong_host_cert,
        &certs.wrong_host_key,
        &locations,
    ));
    conf.push_str(&tls_server(
        unknown_ca,
        &certs.unknown_ca_cert,
        &certs.unknown_ca_key,
        &locations,
    ));
    conf.push_str("}\n");
    conf
}
