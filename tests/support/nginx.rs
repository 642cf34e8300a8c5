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

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::certs::{self, Certs};
use super::process::{Program, Running};

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

/// The body of `/gz/data.json` (compressed on the fly by `gzip on`) and
/// `/static/data.json` (served from a `.gz` file beside it by
/// `gzip_static on`): an embeddings-style JSON answer of about 600 KB.
pub fn json_body() -> Vec<u8> {
    let mut s = String::from(r#"{"object":"list","data":["#);
    for i in 0..4000u32 {
        if i > 0 {
            s.push(',');
        }
        let x = i.wrapping_mul(2_654_435_761);
        s.push_str(&format!(
            r#"{{"object":"embedding","index":{i},"embedding":[0.{:08},-0.{:08},0.{:08}]}}"#,
            x % 100_000_000,
            (x >> 7) % 100_000_000,
            (x >> 13) % 100_000_000
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

/// The body of `/big.bin` and `/big-chunked.bin`: byte `i` is `i % 251`.
pub fn big_body() -> Vec<u8> {
    (0..BIG_LEN).map(|i| (i % 251) as u8).collect()
}

/// A search string `sub_filter` never finds in any served file: it only
/// serves to make nginx drop `Content-Length` and answer with chunked
/// transfer encoding. (`big.bin` contains runs like `xyz`, so no letters.)
const NEVER_MATCHES: &str = "@@brisk-never-matches@@";

static NGINX: Program = Program {
    name: "nginx",
    binary_var: "BRISK_NGINX",
    installed_at: &["/usr/sbin/nginx"],
    require_var: "BRISK_REQUIRE_NGINX",
    keep_var: "BRISK_KEEP_NGINX_DIR",
    logs: &["error.log"],
};

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
    /// HTTPS on 127.0.0.1 with `certs.server_cert` that asks for a client
    /// certificate signed by `certs.ca_cert` (`ssl_verify_client on`).
    pub mtls_port: u16,
    /// HTTPS on 127.0.0.1 with `certs.server_cert`, TLS 1.2 only.
    pub tls12_port: u16,
    /// The generated certificates.
    pub certs: Certs,
    /// The document root.
    pub root: PathBuf,
    running: Running,
}

impl Nginx {
    /// Starts a private nginx, or returns `None` (after a warning on stderr)
    /// if nginx is not installed and `BRISK_REQUIRE_NGINX` is not `1`.
    ///
    /// Panics, with nginx's error log, if nginx is installed but does not
    /// come up.
    pub fn start() -> Option<Nginx> {
        let nginx = NGINX.find()?;
        let dir = NGINX.temp_dir();
        check_nginx_safe(&dir);
        let certs = certs::generate(&dir.join("certs"));
        let root = dir.join("root");
        write_root(&root);
        let supports_e = supports_error_log_flag(&nginx);
        let (running, ports) = NGINX.start(dir.clone(), |ports: [u16; 7]| {
            let conf_path = dir.join("nginx.conf");
            write(&conf_path, config(&dir, &root, &certs, ports).as_bytes());
            let error_log = dir.join("error.log");
            let _ = fs::remove_file(&error_log);
            let mut command = Command::new(&nginx);
            command.arg("-p").arg(&dir);
            if supports_e {
                command.arg("-e").arg(&error_log);
            }
            command.arg("-c").arg(&conf_path);
            command
        });
        let [http_port, https_port, expired_port, wrong_host_port, unknown_ca_port, mtls_port, tls12_port] =
            ports;
        Some(Nginx {
            http_port,
            https_port,
            expired_port,
            wrong_host_port,
            unknown_ca_port,
            mtls_port,
            tls12_port,
            certs,
            root,
            running,
        })
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
        self.running.dir()
    }

    /// The current content of nginx's error log (useful in assertion
    /// messages).
    pub fn error_log(&self) -> String {
        self.running.logs()
    }
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
    let json = json_body();
    fs::create_dir_all(root.join("gz")).unwrap();
    write(&root.join("gz/data.json"), &json);
    write(&root.join("gz/big.bin"), &big);
    // gzip_static serves the `.gz` file as it is; the plain file beside it
    // differs on purpose, so a test can tell which one came.
    fs::create_dir_all(root.join("static")).unwrap();
    write(
        &root.join("static/data.json"),
        b"{\"served\":\"the plain file\"}",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &json).unwrap();
    write(&root.join("static/data.json.gz"), &gz.finish().unwrap());
}

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

        # Compressed on the fly, for clients that ask.
        location /gz/ {{
            gzip on;
            gzip_types *;
            gzip_min_length 1;
            gzip_comp_level 6;
            gzip_vary on;
        }}

        # Precompressed files, for clients that ask.
        location /static/ {{
            gzip_static on;
        }}

        location = /close {{
            keepalive_timeout 0;
            default_type text/plain;
            return 200 "closing\n";
        }}

        # What the TLS handshake agreed on (empty over plain http).
        location = /tls-protocol {{
            default_type text/plain;
            return 200 "$ssl_protocol";
        }}

        location = /tls-sni {{
            default_type text/plain;
            return 200 "[$ssl_server_name]";
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
fn config(dir: &Path, root: &Path, certs: &Certs, ports: [u16; 7]) -> String {
    let d = dir.display();
    let [http, https, expired, wrong_host, unknown_ca, mtls, tls12] = ports;
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
        application/json json;
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
    // Mutual TLS: a client certificate from the test CA is required.
    // Without one nginx still completes the handshake and answers 400; a
    // certificate from another CA fails the handshake.
    let mtls_locations = format!(
        "        ssl_client_certificate \"{}\";\n        ssl_verify_client on;\n\n\
         location = /whoami {{\n            default_type text/plain;\n\
         return 200 \"$ssl_client_s_dn\";\n        }}\n{locations}",
        certs.ca_cert.display()
    );
    conf.push_str(&tls_server(
        mtls,
        &certs.server_cert,
        &certs.server_key,
        &mtls_locations,
    ));
    conf.push_str(
        &tls_server(tls12, &certs.server_cert, &certs.server_key, &locations)
            .replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.2;"),
    );
    conf.push_str("}\n");
    conf
}
