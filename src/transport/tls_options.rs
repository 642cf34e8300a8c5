//! What a client's TLS may be told beyond its roots: a client certificate
//! ([`Identity`]), the protocol versions ([`Version`]), and whether the
//! server's name goes out in the handshake (SNI).

use crate::error::Error;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

/// A TLS protocol version, for
/// [`ClientBuilder::min_tls_version`](crate::ClientBuilder::min_tls_version)
/// and [`max_tls_version`](crate::ClientBuilder::max_tls_version).
///
/// rustls speaks TLS 1.2 and 1.3 only: there is no `TLS_1_0` or `TLS_1_1`
/// (reqwest's rustls backend has none either). A server that offers
/// nothing newer than TLS 1.1 fails the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u8);

impl Version {
    /// TLS 1.2 (RFC 5246).
    pub const TLS_1_2: Version = Version(2);
    /// TLS 1.3 (RFC 8446).
    pub const TLS_1_3: Version = Version(3);
}

/// A client certificate chain with its private key, for servers that ask
/// for one (mutual TLS): see
/// [`ClientBuilder::identity`](crate::ClientBuilder::identity).
///
/// Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct Identity {
    chain: Vec<Vec<u8>>,
    key: KeyDer,
}

#[derive(Clone)]
enum KeyDer {
    Pkcs8(Vec<u8>),
    Pkcs1(Vec<u8>),
    Sec1(Vec<u8>),
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// An identity from one PEM document holding the certificate chain
    /// (the client's own certificate first, then any intermediates) and
    /// the private key, as reqwest's `Identity::from_pem` takes it. The key
    /// may be PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE
    /// KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`). Fails without a certificate
    /// or without a key, or with two keys; whether the key matches the
    /// certificate is checked when the client is built.
    ///
    /// ```no_run
    /// let mut pem = std::fs::read("client.pem")?;
    /// pem.extend(std::fs::read("client.key")?);
    /// let identity = brisk::Identity::from_pem(&pem)?;
    /// let client = brisk::Client::builder().identity(identity).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Identity, Error> {
        let mut chain = Vec::new();
        let mut key = None;
        for (label, der) in pem_blocks(pem)? {
            let found = match label.as_str() {
                "CERTIFICATE" => {
                    chain.push(der);
                    continue;
                }
                "PRIVATE KEY" => KeyDer::Pkcs8(der),
                "RSA PRIVATE KEY" => KeyDer::Pkcs1(der),
                "EC PRIVATE KEY" => KeyDer::Sec1(der),
                _ => continue,
            };
            if key.replace(found).is_some() {
                return Err(Error::builder("more than one private key in pem"));
            }
        }
        if chain.is_empty() {
            return Err(Error::builder("no certificate in pem identity"));
        }
        let key = key.ok_or_else(|| Error::builder("no private key in pem identity"))?;
        Ok(Identity { chain, key })
    }

    pub(crate) fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain
            .iter()
            .cloned()
            .map(CertificateDer::from)
            .collect()
    }

    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        match &self.key {
            KeyDer::Pkcs8(d) => PrivatePkcs8KeyDer::from(d.clone()).into(),
            KeyDer::Pkcs1(d) => PrivatePkcs1KeyDer::from(d.clone()).into(),
            KeyDer::Sec1(d) => PrivateSec1KeyDer::from(d.clone()).into(),
        }
    }
}

/// Every `-----BEGIN X-----` ... `-----END X-----` block of a PEM document,
/// as (label, DER bytes); text between blocks is ignored (RFC 7468 §2).
pub(crate) fn pem_blocks(pem: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let text = std::str::from_utf8(pem).map_err(|_| Error::builder("pem is not utf-8"))?;
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if open.is_some() {
                return Err(Error::builder("pem begin inside a block"));
            }
            open = Some((label.to_string(), String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            let (begun, b64) = open
                .take()
                .ok_or_else(|| Error::builder("pem end without begin"))?;
            if begun != label {
                return Err(Error::builder("pem end does not match its begin"));
            }
            let der = crate::base64::decode(&b64)
                .ok_or_else(|| Error::builder("invalid base64 in pem"))?;
            blocks.push((begun, der));
        } else if let Some((_, b64)) = open.as_mut() {
            b64.push_str(line);
        }
    }
    if open.is_some() {
        return Err(Error::builder("pem block without end line"));
    }
    Ok(blocks)
}

/// The client's TLS settings other than its roots.
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    pub(crate) identity: Option<Identity>,
    pub(crate) min_version: Option<Version>,
    pub(crate) max_version: Option<Version>,
    pub(crate) sni: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            identity: None,
            min_version: None,
            max_version: None,
            sni: true,
        }
    }
}

impl TlsOptions {
    /// The versions rustls may offer, newest first; a range that holds
    /// none is a builder error.
    pub(crate) fn versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, Error> {
        let min = self.min_version.unwrap_or(Version::TLS_1_2);
        let max = self.max_version.unwrap_or(Version::TLS_1_3);
        let all = [
            (Version::TLS_1_3, &rustls::version::TLS13),
            (Version::TLS_1_2, &rustls::version::TLS12),
        ];
        let chosen: Vec<_> = all
            .into_iter()
            .filter(|(v, _)| (min..=max).contains(v))
            .map(|(_, p)| p)
            .collect();
        if chosen.is_empty() {
            return Err(Error::builder("min_tls_version is above max_tls_version"));
        }
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_needs_a_certificate_and_one_key() {
        let cert = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
        let ec = "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n";
        assert!(Identity::from_pem(format!("{cert}{key}").as_bytes()).is_ok());
        assert!(Identity::from_pem(format!("{key}{cert}").as_bytes()).is_ok());
        assert!(Identity::from_pem(cert.as_bytes()).is_err());
        assert!(Identity::from_pem(key.as_bytes()).is_err());
        assert!(Identity::from_pem(format!("{cert}{key}{ec}").as_bytes()).is_err());
        let mismatched = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END PRIVATE KEY-----\n";
        assert!(Identity::from_pem(mismatched.as_bytes()).is_err());
        let identity = Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap();
        assert!(!format!("{identity:?}").contains("MAA"));
    }

    #[test]
    fn a_version_range_picks_the_versions_inside_it() {
        let mut o = TlsOptions::default();
        assert_eq!(o.versions().unwrap().len(), 2);
        o.min_version = Some(Version::TLS_1_3);
        assert_eq!(o.versions().unwrap(), vec![&rustls::version::TLS13]);
        o.max_version = Some(Version::TLS_1_2);
        assert!(o.versions().is_err());
        o.min_version = None;
        assert_eq!(o.versions().unwrap(), vec![&rustls::version::TLS12]);
    }
}
