//! OpenID Connect, the protocol side of single sign-on: discovery of the operator's
//! provider, the authorization request of the code flow (PKCE S256, `state`, `nonce`), the
//! code exchange, and the checks of the ID token (its signature by a key of the provider's
//! JWKS under an allow-list of public-key algorithms; `iss`, `aud`, `azp`, `exp`, `iat` with
//! a bounded clock skew; `nonce`). What a checked identity may do with an account is
//! `sso.rs`'s business.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::token;
use crate::domain::Secret;

/// How far the provider's clock may be from ours when `exp` and `iat` are checked.
pub const CLOCK_SKEW_SECONDS: u64 = 60;
/// How long a person may take at the provider before the sign-in must start again.
pub const LOGIN_MINUTES: i64 = 10;
/// The JWKS is fetched again for an unknown key at most this often, so that forged tokens
/// naming made-up keys cannot make Weft hammer the provider.
const JWKS_REFRESH_EVERY: Duration = Duration::from_secs(10);
/// Every request to the provider gives up after this long.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Signatures by a public key only: `none` and the HMAC family (whose key would be the
/// client secret, known to more than the provider) are refused.
const ALLOWED_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The operator's settings for single sign-on.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer URL, exactly as the provider names itself.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The button's words ("Sign in with LABEL").
    pub label: String,
    /// The scopes asked for, `openid` among them.
    pub scopes: String,
    /// Whether a first sign-in with no account creates one.
    pub create_users: bool,
    /// `PUBLIC_URL/signin/oidc/callback`, registered at the provider.
    pub redirect_uri: Url,
}

/// Why talking to the provider, or trusting its answer, failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// No answer (connection refused, timeout, a 5xx): try again later.
    #[error("the sign-in provider at {0} could not be reached ({1})")]
    Unreachable(String, String),
    /// An answer that does not follow the protocol.
    #[error("the sign-in provider answered in a way Weft cannot use: {0}")]
    Inconsistent(String),
    /// The provider refused the code (used already, expired, or for another client).
    #[error("the sign-in provider refused to finish this sign-in ({0})")]
    Refused(String),
    /// The ID token failed a check.
    #[error("the sign-in provider's answer could not be trusted: {0}")]
    Untrusted(String),
}

/// The provider's metadata (OpenID Connect Discovery 1.0, section 3), the fields Weft uses.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    #[serde(deserialize_with = "url_field")]
    authorization_endpoint: Url,
    #[serde(deserialize_with = "url_field")]
    token_endpoint: Url,
    #[serde(deserialize_with = "url_field")]
    jwks_uri: Url,
    #[serde(default)]
    response_types_supported: Vec<String>,
    code_challenge_methods_supported: Option<Vec<String>>,
}

/// A URL field of the metadata (the url crate is built without serde here).
fn url_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let text = String::deserialize(deserializer)?;
    Url::parse(&text).map_err(serde::de::Error::custom)
}

/// The provider's signing keys and when they were fetched.
#[derive(Debug)]
struct Keys {
    keys: Vec<Jwk>,
    fetched: Instant,
}

/// The operator's provider, discovered at start.
pub struct OidcProvider {
    settings: OidcSettings,
    metadata: Metadata,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Keys>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings' Debug hides the secret.
        f.debug_struct("OidcProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// An authorization request: where to send the browser, and what the callback will need.
#[derive(Debug)]
pub struct Authorization {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

/// What a checked ID token says about the person.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub preferred_username: Option<String>,
}

/// The claims of an ID token that Weft reads.
#[derive(Debug, Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: Audience,
    iat: i64,
    nonce: Option<String>,
    azp: Option<String>,
    email: Option<String>,
    /// A boolean by the specification; some providers send the string "true".
    email_verified: Option<serde_json::Value>,
    preferred_username: Option<String>,
}

/// `aud`: one client or several (jsonwebtoken checks that ours is among them; only how many
/// matters here, for `azp`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

impl OidcProvider {
    /// Reads the provider's metadata and keys; an error says what to fix.
    pub async fn discover(settings: OidcSettings) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            .timeout(PROVIDER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Inconsistent(e.to_string()))?;
        let address = format!(
            "{}/.well-known/openid-configuration",
            settings.issuer.trim_end_matches('/')
        );
        let metadata: Metadata = get_json(&http, &address).await?;
        if metadata.issuer != settings.issuer {
            return Err(OidcError::Inconsistent(format!(
                "its metadata names the issuer {:?}, not {:?}; set WEFT_OIDC_ISSUER to exactly \
                 the issuer it names",
                metadata.issuer, settings.issuer
            )));
        }
        if !metadata
            .response_types_supported
            .iter()
            .any(|t| t == "code")
        {
            return Err(OidcError::Inconsistent(
                "it does not offer the authorization code flow (response type `code`)".into(),
            ));
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == "S256") {
                return Err(OidcError::Inconsistent(
                    "it does not offer PKCE with S256, which Weft requires".into(),
                ));
            }
        }
        let keys = fetch_keys(&http, &metadata.jwks_uri).await?;
        Ok(Self {
            settings,
            metadata,
            http,
            keys: tokio::sync::Mutex::new(Keys {
                keys,
                fetched: Instant::now(),
            }),
        })
    }

    /// The operator's settings.
    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The issuer, as the provider names itself and its ID tokens carry it.
    pub fn issuer(&self) -> &str {
        &self.metadata.issuer
    }

    /// A fresh authorization request of the code flow with PKCE.
    pub fn authorization(&self) -> Authorization {
        let (state, nonce, code_verifier) =
            (token::generate(), token::generate(), token::generate());
        let mut url = self.metadata.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", self.settings.redirect_uri.as_str())
            .append_pair("scope", &self.settings.scopes)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &code_challenge(&code_verifier))
            .append_pair("code_challenge_method", "S256");
        Authorization {
            url,
            state,
            nonce,
            code_verifier,
        }
    }

    /// Exchanges an authorization code for an ID token and checks it.
    pub async fn exchange(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, OidcError> {
        let endpoint = &self.metadata.token_endpoint;
        // RFC 6749 section 2.3.1: the id and secret are form-encoded before Basic.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let response = self
            .http
            .post(endpoint.clone())
            .basic_auth(
                encode(&self.settings.client_id),
                Some(encode(&self.settings.client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.settings.redirect_uri.as_str()),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|e| unreachable(endpoint, e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(OidcError::Unreachable(
                host(endpoint),
                format!("its token endpoint answered {status}"),
            ));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| OidcError::Inconsistent(format!("its token answer is not JSON: {e}")))?;
        if !status.is_success() {
            let error = body["error"].as_str().unwrap_or("no reason given");
            let description = body["error_description"].as_str().unwrap_or("");
            return Err(OidcError::Refused(
                format!("{error} {description}").trim().to_string(),
            ));
        }
        let id_token = body["id_token"]
            .as_str()
            .ok_or_else(|| OidcError::Inconsistent("its token answer holds no ID token".into()))?;
        self.check_id_token(id_token, nonce, chrono::Utc::now().timestamp())
            .await
    }

    /// Checks an ID token's signature and claims at time `now` (seconds since 1970).
    async fn check_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Identity, OidcError> {
        let untrusted = |why: String| OidcError::Untrusted(why);
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| {
            untrusted(format!(
                "the ID token's header is unreadable or names no accepted algorithm ({e})"
            ))
        })?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(untrusted(format!(
                "the ID token is signed with {:?}; Weft accepts only public-key signatures (RS, PS and ES)",
                header.alg
            )));
        }
        let jwk = self.key_for(header.kid.as_deref(), header.alg).await?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|e| untrusted(format!("the provider's key cannot be used ({e})")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = CLOCK_SKEW_SECONDS;
        validation.set_issuer(&[self.issuer()]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| untrusted(format!("the ID token failed its check ({e})")))?
            .claims;
        check_claims(&claims, &self.settings.client_id, nonce, now)?;
        let email_verified = match &claims.email_verified {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(Identity {
            issuer: claims.iss,
            subject: claims.sub,
            email: claims.email.filter(|e| !e.is_empty()),
            email_verified,
            preferred_username: claims.preferred_username,
        })
    }

    /// The provider's key for `kid`, fetching the JWKS again when it is unknown (the
    /// provider may have rotated its keys since start).
    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk, OidcError> {
        let mut keys = self.keys.lock().await;
        if let Some(jwk) = pick_key(&keys.keys, kid, alg) {
            return Ok(jwk);
        }
        if keys.fetched.elapsed() >= JWKS_REFRESH_EVERY {
            keys.keys = fetch_keys(&self.http, &self.metadata.jwks_uri).await?;
            keys.fetched = Instant::now();
            if let Some(jwk) = pick_key(&keys.keys, kid, alg) {
                return Ok(jwk);
            }
        }
        Err(OidcError::Untrusted(format!(
            "the ID token is signed with a key the provider does not publish ({})",
            kid.unwrap_or("no key id")
        )))
    }
}

/// The checks `jsonwebtoken` leaves to the caller: `iat` not in the future, `azp`, `nonce`.
fn check_claims(
    claims: &IdClaims,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<(), OidcError> {
    let untrusted = |why: &str| Err(OidcError::Untrusted(why.to_string()));
    if claims.sub.is_empty() || claims.iss.is_empty() {
        return untrusted("the ID token names no subject or issuer");
    }
    if claims.iat > now + CLOCK_SKEW_SECONDS as i64 {
        return untrusted("the ID token was issued in the future (is the provider's clock right?)");
    }
    let several_audiences = matches!(&claims.aud, Audience::Many(a) if a.len() > 1);
    match claims.azp.as_deref() {
        Some(azp) if azp != client_id => {
            return untrusted("the ID token was issued to another client (azp)")
        }
        None if several_audiences => {
            return untrusted("the ID token names several audiences but no authorized party (azp)")
        }
        _ => {}
    }
    let sent = claims.nonce.as_deref().unwrap_or("");
    if !token::constant_time_eq(sent.as_bytes(), nonce.as_bytes()) {
        return untrusted("the ID token does not carry this sign-in's nonce");
    }
    Ok(())
}

/// The key named `kid`, or without one the only key of the algorithm's family; only
/// signing keys, and only for the algorithm they declare.
fn pick_key(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
    use jsonwebtoken::jwk::{AlgorithmParameters, PublicKeyUse};
    let family_ok = |jwk: &Jwk| match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::ES256 | Algorithm::ES384) => false,
        (AlgorithmParameters::RSA(_), _) => true,
        (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256 | Algorithm::ES384) => true,
        _ => false,
    };
    let usable = |jwk: &&Jwk| {
        family_ok(jwk)
            && !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption))
            && jwk
                .common
                .key_algorithm
                .is_none_or(|declared| format!("{declared:?}") == format!("{alg:?}"))
    };
    let mut candidates = keys.iter().filter(usable);
    match kid {
        Some(kid) => candidates
            .find(|jwk| jwk.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None => {
            let first = candidates.next()?;
            candidates.next().is_none().then(|| first.clone())
        }
    }
}

/// The keys of a JWKS; keys of a kind Weft cannot read (encryption keys of other
/// algorithms, say) are skipped rather than failing the whole set.
async fn fetch_keys(http: &reqwest::Client, jwks_uri: &Url) -> Result<Vec<Jwk>, OidcError> {
    let set: serde_json::Value = get_json(http, jwks_uri.as_str()).await?;
    let Some(keys) = set["keys"].as_array() else {
        return Err(OidcError::Inconsistent(format!(
            "its key set at {jwks_uri} has no keys"
        )));
    };
    let keys: Vec<Jwk> = keys
        .iter()
        .filter_map(|key| serde_json::from_value(key.clone()).ok())
        .collect();
    Ok(keys)
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    address: &str,
) -> Result<T, OidcError> {
    let url = Url::parse(address)
        .map_err(|e| OidcError::Inconsistent(format!("{address} is not a URL ({e})")))?;
    let response = http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| unreachable(&url, e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(OidcError::Unreachable(
            host(&url),
            format!("{address} answered {status}"),
        ));
    }
    response.json().await.map_err(|e| {
        OidcError::Inconsistent(format!("{address} did not answer the expected JSON ({e})"))
    })
}

fn unreachable(url: &Url, error: reqwest::Error) -> OidcError {
    let why = if error.is_timeout() {
        "it did not answer in time".to_string()
    } else {
        error.to_string()
    };
    OidcError::Unreachable(host(url), why)
}

fn host(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The PKCE challenge of a verifier (RFC 7636, S256).
fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: Audience, azp: Option<&str>, iat: i64, nonce: Option<&str>) -> IdClaims {
        IdClaims {
            iss: "https://id.example".into(),
            sub: "s".into(),
            aud,
            iat,
            nonce: nonce.map(Into::into),
            azp: azp.map(Into::into),
            email: None,
            email_verified: None,
            preferred_username: None,
        }
    }

    #[test]
    fn the_pkce_challenge_is_the_rfc_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn claims_are_checked_for_nonce_azp_and_issue_time() {
        let now = 1_000_000;
        let one = || Audience::One(serde::de::IgnoredAny);
        assert!(check_claims(&claims(one(), None, now, Some("n")), "weft", "n", now).is_ok());
        assert!(check_claims(&claims(one(), None, now + 60, Some("n")), "weft", "n", now).is_ok());
        assert!(check_claims(&claims(one(), None, now + 61, Some("n")), "weft", "n", now).is_err());
        assert!(check_claims(&claims(one(), None, now, Some("m")), "weft", "n", now).is_err());
        assert!(check_claims(&claims(one(), None, now, None), "weft", "n", now).is_err());
        assert!(check_claims(
            &claims(one(), Some("other"), now, Some("n")),
            "weft",
            "n",
            now
        )
        .is_err());
        let many = Audience::Many(vec!["weft".into(), "other".into()]);
        assert!(check_claims(&claims(many, None, now, Some("n")), "weft", "n", now).is_err());
        let mut nobody = claims(one(), None, now, Some("n"));
        nobody.sub = String::new();
        assert!(check_claims(&nobody, "weft", "n", now).is_err());
        let many = Audience::Many(vec!["weft".into(), "other".into()]);
        assert!(check_claims(
            &claims(many, Some("weft"), now, Some("n")),
            "weft",
            "n",
            now
        )
        .is_ok());
    }

    #[test]
    fn keys_are_picked_by_id_family_and_declared_algorithm() {
        let rsa = |kid: &str, alg: Option<&str>| -> Jwk {
            let mut key = serde_json::json!({"kty": "RSA", "kid": kid, "n": "AQAB", "e": "AQAB", "use": "sig"});
            if let Some(alg) = alg {
                key["alg"] = alg.into();
            }
            serde_json::from_value(key).unwrap()
        };
        let keys = vec![rsa("a", Some("RS256")), rsa("b", None)];
        assert!(pick_key(&keys, Some("a"), Algorithm::RS256).is_some());
        assert!(
            pick_key(&keys, Some("a"), Algorithm::PS256).is_none(),
            "declared RS256 only"
        );
        assert!(pick_key(&keys, Some("b"), Algorithm::PS512).is_some());
        assert!(pick_key(&keys, Some("c"), Algorithm::RS256).is_none());
        assert!(
            pick_key(&keys, Some("a"), Algorithm::ES256).is_none(),
            "an RSA key for ES256"
        );
        assert!(
            pick_key(&keys, None, Algorithm::RS256).is_none(),
            "two candidates, no kid"
        );
        assert!(pick_key(&keys[..1], None, Algorithm::RS256).is_some());
    }
}
