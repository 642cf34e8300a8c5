//! Test TLS certificates generated with the `openssl` command line tool.
//!
//! Everything is std-only: the `openssl` binary is driven through
//! [`std::process::Command`], with every file written into the directory
//! handed to [`generate`]. All keys are EC P-256 in PKCS#8 PEM
//! (`-----BEGIN PRIVATE KEY-----`), all certificates X.509 v3 in PEM.
//!
//! * `ca_cert`: the test CA the client is expected to trust
//!   (`basicConstraints = critical, CA:TRUE`, `keyUsage = keyCertSign, cRLSign`).
//! * `server_cert`/`server_key`: leaf signed by the CA for `DNS:localhost`
//!   and `IP:127.0.0.1`, `extendedKeyUsage = serverAuth`, valid now.
//! * `expired_cert`/`expired_key`: same names, same CA, valid only from
//!   2020-01-01 to 2021-01-01.
//! * `wrong_host_cert`/`wrong_host_key`: signed by the CA, valid now, but only
//!   for `DNS:wrong.example`.
//! * `unknown_ca_cert`/`unknown_ca_key`: `localhost`/`127.0.0.1`, valid now,
//!   but signed by a second CA that is never handed to the client.
//! * `client_cert`/`client_key`: a client certificate (`extendedKeyUsage =
//!   clientAuth`, CN `brisk test client`) signed by the CA; and
//!   `stranger_client_cert`/`stranger_client_key`, the same signed by the
//!   second CA, for mutual TLS.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of the generated PEM files (all inside the directory passed to
/// [`generate`]).
#[derive(Debug, Clone)]
pub struct Certs {
    /// The trusted test CA certificate.
    pub ca_cert: PathBuf,
    /// Good leaf for `localhost` and `127.0.0.1`, signed by `ca_cert`.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// Expired leaf (2020-01-01 .. 2021-01-01) for `localhost`/`127.0.0.1`,
    /// signed by `ca_cert`.
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
    /// Leaf signed by `ca_cert`, valid now, only for `wrong.example`.
    pub wrong_host_cert: PathBuf,
    pub wrong_host_key: PathBuf,
    /// Leaf for `localhost`/`127.0.0.1`, valid now, signed by an unrelated CA.
    pub unknown_ca_cert: PathBuf,
    pub unknown_ca_key: PathBuf,
    /// A client certificate (clientAuth) signed by `ca_cert`.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A client certificate signed by the CA the servers do not trust.
    pub stranger_client_cert: PathBuf,
    pub stranger_client_key: PathBuf,
}

/// The openssl configuration: the extension sections for the CAs and the
/// leaves, and a minimal `openssl ca` setup (used for the expired leaf,
/// because `openssl x509 -req` only gained `-not_before`/`-not_after` in
/// OpenSSL 3.4 while `openssl ca -startdate/-enddate` works everywhere).
///
/// All paths are relative: every command runs with the output directory as
/// its working directory, so odd characters in the temp dir path (spaces,
/// `$` which openssl config files expand) cannot break anything.
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = req_dn

[req_dn]

[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[leaf_localhost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[leaf_wrong_host]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[leaf_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ca]
default_ca = test_ca

[test_ca]
database = ./ca-index.txt
new_certs_dir = ./ca-newcerts
serial = ./ca-serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = supplied
";

/// Validity of the leaves that are meant to be valid, in days.
const VALID_DAYS: &str = "825";

/// Runs `openssl` with `args` inside `dir`; panics with its output on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new(openssl_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "failed to run `{} {}` (is openssl installed? apt-get install openssl): {e}",
                openssl_bin(),
                args.join(" ")
            )
        });
    if !output.status.success() {
        panic!(
            "`openssl {}` failed in {} ({}):\n--- stderr ---\n{}\n--- stdout ---\n{}",
            args.join(" "),
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout),
        );
    }
}

fn openssl_bin() -> &'static str {
    if Path::new("/usr/bin/openssl").exists() {
        "/usr/bin/openssl"
    } else {
        "openssl"
    }
}

/// Generates an EC P-256 private key (PKCS#8 PEM) at `dir/name`.
fn gen_key(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            name,
        ],
    );
}

/// Creates a self-signed CA: `<stem>.key` and `<stem>.pem`.
fn gen_ca(dir: &Path, stem: &str, common_name: &str) {
    let key = format!("{stem}.key");
    let cert = format!("{stem}.pem");
    let subject = format!("/CN={common_name}");
    gen_key(dir, &key);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-config",
            "openssl.cnf",
            "-extensions",
            "v3_ca",
            "-key",
            &key,
            "-subj",
            &subject,
            "-sha256",
            "-days",
            "3650",
            "-set_serial",
            "1",
            "-out",
            &cert,
        ],
    );
}

/// Creates `<stem>.key` and its CSR `<stem>.csr` with subject `CN=<cn>`.
fn gen_csr(dir: &Path, stem: &str, common_name: &str) {
    let key = format!("{stem}.key");
    let csr = format!("{stem}.csr");
    let subject = format!("/CN={common_name}");
    gen_key(dir, &key);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "openssl.cnf",
            "-key",
            &key,
            "-subj",
            &subject,
            "-out",
            &csr,
        ],
    );
}

/// Creates a leaf `<stem>.key`/`<stem>.pem`, valid from now on, signed by
/// the CA `<ca>.key`/`<ca>.pem`, with the extension section `extensions`.
fn gen_leaf(dir: &Path, stem: &str, common_name: &str, extensions: &str, ca: &str, serial: &str) {
    gen_csr(dir, stem, common_name);
    let csr = format!("{stem}.csr");
    let cert = format!("{stem}.pem");
    let ca_cert = format!("{ca}.pem");
    let ca_key = format!("{ca}.key");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_cert,
            "-CAkey",
            &ca_key,
            "-set_serial",
            serial,
            "-days",
            VALID_DAYS,
            "-sha256",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            extensions,
            "-out",
            &cert,
        ],
    );
}

/// Creates the expired leaf `<stem>.key`/`<stem>.pem` (2020-01-01 to
/// 2021-01-01) for localhost/127.0.0.1, signed by the CA `<ca>`, through
/// `openssl ca` which accepts explicit start and end dates on every
/// OpenSSL version.
fn gen_expired_leaf(dir: &Path, stem: &str, ca: &str) {
    gen_csr(dir, stem, "localhost");
    let csr = format!("{stem}.csr");
    let cert = format!("{stem}.pem");
    let ca_cert = format!("{ca}.pem");
    let ca_key = format!("{ca}.key");
    write(&dir.join("ca-index.txt"), b"");
    write(&dir.join("ca-serial"), b"1000\n");
    fs::create_dir_all(dir.join("ca-newcerts"))
        .unwrap_or_else(|e| panic!("creating {}/ca-newcerts: {e}", dir.display()));
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "openssl.cnf",
            "-cert",
            &ca_cert,
            "-keyfile",
            &ca_key,
            "-in",
            &csr,
            "-out",
            &cert,
            "-notext",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-extensions",
            "leaf_localhost",
        ],
    );
}

fn write(path: &Path, contents: &[u8]) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Generates the test CA and all the leaf certificates into `dir` (created
/// if missing) and returns their paths. Panics, with openssl's stderr, if
/// anything fails.
pub fn generate(dir: &Path) -> Certs {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    write(&dir.join("openssl.cnf"), OPENSSL_CNF.as_bytes());

    // The trusted CA and its leaves.
    gen_ca(dir, "ca", "brisk test CA");
    gen_leaf(dir, "server", "localhost", "leaf_localhost", "ca", "2");
    gen_leaf(
        dir,
        "wrong-host",
        "wrong.example",
        "leaf_wrong_host",
        "ca",
        "3",
    );
    gen_expired_leaf(dir, "expired", "ca");

    // An unrelated CA the client never trusts, and its leaf.
    gen_ca(dir, "unknown-ca-root", "brisk untrusted test CA");
    gen_leaf(
        dir,
        "unknown-ca",
        "localhost",
        "leaf_localhost",
        "unknown-ca-root",
        "2",
    );

    // Client certificates, for mutual TLS.
    gen_leaf(dir, "client", "brisk test client", "leaf_client", "ca", "4");
    gen_leaf(
        dir,
        "stranger-client",
        "brisk test client",
        "leaf_client",
        "unknown-ca-root",
        "3",
    );

    let certs = Certs {
        ca_cert: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        expired_cert: dir.join("expired.pem"),
        expired_key: dir.join("expired.key"),
        wrong_host_cert: dir.join("wrong-host.pem"),
        wrong_host_key: dir.join("wrong-host.key"),
        unknown_ca_cert: dir.join("unknown-ca.pem"),
        unknown_ca_key: dir.join("unknown-ca.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        stranger_client_cert: dir.join("stranger-client.pem"),
        stranger_client_key: dir.join("stranger-client.key"),
    };
    for path in [
        &certs.ca_cert,
        &certs.server_cert,
        &certs.server_key,
        &certs.expired_cert,
        &certs.expired_key,
        &certs.wrong_host_cert,
        &certs.wrong_host_key,
        &certs.unknown_ca_cert,
        &certs.unknown_ca_key,
    ] {
        let pem = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("openssl did not produce {}: {e}", path.display()));
        assert!(
            pem.starts_with("-----BEGIN "),
            "{} is not a bare PEM file:\n{pem}",
            path.display()
        );
    }
    certs
}
