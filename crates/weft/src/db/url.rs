//! `DATABASE_URL`: parsing, the `pool_max` parameter, and a form that is safe to print.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use url::Url;

/// A bad `DATABASE_URL`. The URL itself is never part of the message (it may hold a password).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("DATABASE_URL is not a valid URL: {0}")]
    Invalid(String),
    #[error("DATABASE_URL must start with postgres:// or postgresql://, not {0}://")]
    Scheme(String),
    #[error("DATABASE_URL has pool_max={0}; it must be a whole number from 1 to 1000")]
    PoolMax(String),
}

/// A parsed `DATABASE_URL` with Weft's own parameters taken out.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: Url,
    pool_max: Option<u32>,
}

/// Shows the URL with its password replaced, like every other place Weft names it.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &self.redacted())
            .field("pool_max", &self.pool_max)
            .finish()
    }
}

impl DatabaseUrl {
    /// Parses a URL, removing `pool_max=N` (which PostgreSQL itself does not know).
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let mut url = Url::parse(raw.trim()).map_err(|e| UrlError::Invalid(e.to_string()))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(UrlError::Scheme(url.scheme().to_string()));
        }
        let mut pool_max = None;
        let mut kept: Vec<(String, String)> = Vec::new();
        for (key, value) in url.query_pairs() {
            if key == "pool_max" {
                let n: u32 = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| UrlError::PoolMax(value.to_string()))?;
                pool_max = Some(n);
            } else {
                kept.push((key.into_owned(), value.into_owned()));
            }
        }
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok(Self { url, pool_max })
    }

    /// The `pool_max` the URL asked for, if any.
    pub fn pool_max(&self) -> Option<u32> {
        self.pool_max
    }

    /// The URL as libpq tools (`psql`, `pg_dump`) accept it, without `pool_max`.
    pub fn as_libpq(&self) -> &str {
        self.url.as_str()
    }

    /// Connection options for sqlx (honours `sslmode`, `host=/socket/dir`, and the rest).
    pub fn connect_options(&self) -> Result<PgConnectOptions, UrlError> {
        PgConnectOptions::from_str(self.url.as_str()).map_err(|e| UrlError::Invalid(e.to_string()))
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }

    /// Whether the server is on this machine (loopback or a Unix socket). Development-only
    /// commands refuse anything else unless forced.
    pub fn is_local(&self) -> bool {
        // A `host` parameter overrides the URL's host; a path there is a Unix socket folder.
        let host = self
            .url
            .query_pairs()
            .find(|(k, _)| k == "host")
            .map(|(_, v)| v.into_owned())
            .or_else(|| self.url.host_str().map(str::to_string))
            .unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.is_empty()
            || host.starts_with('/')
            || host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let url = DatabaseUrl::parse(
            "postgres://weft:s3cret-pw@db.example:5432/weft?password=other-pw&pool_max=5",
        )
        .unwrap();
        let printed = format!("{url:?} {url:#?}");
        assert!(!printed.contains("s3cret-pw"), "{printed}");
        assert!(!printed.contains("other-pw"), "{printed}");
        assert!(printed.contains("db.example"), "{printed}");
    }

    #[test]
    fn pool_max_is_read_and_stripped() {
        let url =
            DatabaseUrl::parse("postgresql://u:p@db.example.com:5432/weft?pool_max=25").unwrap();
        assert_eq!(url.pool_max(), Some(25));
        assert_eq!(url.as_libpq(), "postgresql://u:p@db.example.com:5432/weft");
    }

    #[test]
    fn other_parameters_survive_stripping_pool_max() {
        let url =
            DatabaseUrl::parse("postgres://h/weft?sslmode=require&pool_max=3&application_name=x")
                .unwrap();
        assert_eq!(url.pool_max(), Some(3));
        assert_eq!(
            url.as_libpq(),
            "postgres://h/weft?sslmode=require&application_name=x"
        );
    }

    #[test]
    fn a_url_without_pool_max_has_none() {
        let url = DatabaseUrl::parse("postgresql://localhost:5432/weft").unwrap();
        assert_eq!(url.pool_max(), None);
    }

    #[test]
    fn bad_pool_max_values_are_refused() {
        for bad in ["0", "-1", "ten", "", "1001", "2.5"] {
            let err =
                DatabaseUrl::parse(&format!("postgresql://h/weft?pool_max={bad}")).unwrap_err();
            assert_eq!(err, UrlError::PoolMax(bad.to_string()));
        }
    }

    #[test]
    fn a_non_postgres_scheme_is_refused() {
        let err = DatabaseUrl::parse("mysql://h/weft").unwrap_err();
        assert_eq!(err, UrlError::Scheme("mysql".into()));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            DatabaseUrl::parse("not a url"),
            Err(UrlError::Invalid(_))
        ));
    }

    #[test]
    fn redaction_hides_the_password() {
        let url =
            DatabaseUrl::parse("postgresql://weft:s3cret@db:5432/weft?password=other").unwrap();
        let shown = url.redacted();
        assert!(
            !shown.contains("s3cret") && !shown.contains("other"),
            "{shown}"
        );
        assert!(shown.contains("weft:***@db"), "{shown}");
    }

    #[test]
    fn locality_is_judged_by_host() {
        let local = [
            "postgresql://localhost/w",
            "postgresql://127.0.0.1/w",
            "postgresql://[::1]/w",
            "postgresql:///w?host=/run/postgresql&user=u",
        ];
        for raw in local {
            assert!(DatabaseUrl::parse(raw).unwrap().is_local(), "{raw}");
        }
        let remote = ["postgresql://db.example.com/w", "postgresql://10.0.0.5/w"];
        for raw in remote {
            assert!(!DatabaseUrl::parse(raw).unwrap().is_local(), "{raw}");
        }
    }
}
