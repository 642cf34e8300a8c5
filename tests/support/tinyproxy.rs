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
use std::path::Path;
use std::process::Command;

use super::process::{Program, Running};

static TINYPROXY: Program = Program {
    name: "tinyproxy",
    binary_var: "BRISK_TINYPROXY",
    installed_at: &["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"],
    require_var: "BRISK_REQUIRE_TINYPROXY",
    keep_var: "BRISK_KEEP_TINYPROXY_DIR",
    logs: &["tinyproxy.log"],
};

/// A running tinyproxy; killed, and its temp dir removed, on drop.
pub struct Tinyproxy {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    running: Running,
}

impl Tinyproxy {
    /// Starts a private tinyproxy with the base config plus `extra` (one
    /// directive per line), or returns `None` (after a warning on stderr)
    /// if tinyproxy is not installed and `BRISK_REQUIRE_TINYPROXY` is not
    /// `1`. Panics, with tinyproxy's log, if it is installed but does not
    /// come up.
    pub fn start(extra: &str) -> Option<Tinyproxy> {
        let bin = TINYPROXY.find()?;
        let dir = TINYPROXY.temp_dir();
        // tinyproxy started as root drops to `nobody`, which must still
        // write its log here.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o777));
        }
        let log = dir.join("tinyproxy.log");
        let (running, [port]) = TINYPROXY.start(dir.clone(), |[port]| {
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
            let mut command = Command::new(&bin);
            command.arg("-d").arg("-c").arg(&conf_path);
            command
        });
        Some(Tinyproxy { port, running })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// tinyproxy's log so far (for assertion messages).
    pub fn log(&self) -> String {
        self.running.logs()
    }

    /// The temp dir holding the config and logs.
    pub fn dir(&self) -> &Path {
        self.running.dir()
    }
}
