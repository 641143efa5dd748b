//! `weft serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::accounts::oidc::{OidcProvider, OidcSettings};
use crate::accounts::throttle::ThrottleConfig;
use crate::accounts::{self, AuthConfig};
use crate::api::{ApiContext, Limits};
use crate::config::GlobalArgs;
use crate::db::Database;
use crate::scratch::Scratch;
use crate::server;

/// Whether anyone may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
}

/// Whether people may reset a forgotten password with a link from the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordReset {
    Link,
    Off,
}

/// Options of `weft serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WEFT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// The URL people reach Weft at; https:// marks session cookies Secure.
    #[arg(long, env = "WEFT_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// open: anyone may register; closed: only `weft user create` makes accounts.
    #[arg(long, env = "WEFT_REGISTRATION", value_enum, default_value_t = Registration::Open)]
    pub registration: Registration,

    /// bcrypt cost for password hashes (10 to 16; each step doubles the work).
    #[arg(long, env = "WEFT_BCRYPT_COST", default_value_t = accounts::DEFAULT_BCRYPT_COST,
          value_parser = clap::value_parser!(u32).range(10..=16))]
    pub bcrypt_cost: u32,

    /// Days a session lasts without use (each use extends it).
    #[arg(long, env = "WEFT_SESSION_DAYS", default_value_t = accounts::DEFAULT_SESSION_DAYS,
          value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub session_days: i64,

    /// Failed log-ins allowed per account in 15 minutes before 429.
    #[arg(long, env = "WEFT_LOGIN_MAX_FAILURES", default_value_t = ThrottleConfig::DEFAULT.per_account,
          value_parser = clap::value_parser!(i32).range(1..))]
    pub login_max_failures: i32,

    /// Failed log-ins allowed per client address in 15 minutes before 429.
    #[arg(long, env = "WEFT_LOGIN_MAX_FAILURES_PER_IP", default_value_t = ThrottleConfig::DEFAULT.per_address,
          value_parser = clap::value_parser!(i32).range(1..))]
    pub login_max_failures_per_ip: i32,

    /// Accounts that may be registered from one client address in an hour before 429.
    #[arg(long, env = "WEFT_REGISTRATIONS_PER_IP", default_value_t = ThrottleConfig::DEFAULT.registrations_per_address,
          value_parser = clap::value_parser!(i32).range(1..))]
    pub registrations_per_ip: i32,

    /// Trust X-Forwarded-For for the client address (only behind your own reverse proxy).
    #[arg(long, env = "WEFT_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Seconds a request may take before 408.
    #[arg(long, env = "WEFT_REQUEST_TIMEOUT", default_value_t = Limits::DEFAULT.request_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    /// Seconds a client may take to send a request's headers before its connection is closed.
    #[arg(long, env = "WEFT_HEADER_READ_TIMEOUT", default_value_t = Limits::DEFAULT.header_read_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// Connections held open at once; more wait until one closes. Keep it under the open-file
    /// limit (`ulimit -n`), which the database connections and uploads also use.
    #[arg(long, env = "WEFT_MAX_CONNECTIONS", default_value_t = Limits::DEFAULT.max_connections as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// Largest video upload, in bytes [default: 2 GiB].
    #[arg(long, env = "WEFT_MAX_UPLOAD_BYTES", default_value_t = Limits::DEFAULT.upload_bytes,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_upload_bytes: u64,

    /// Stored media without a journal row are deleted at start-up once older than this many
    /// seconds. The wait protects uploads in flight on other servers sharing the storage
    /// (their files are stored just before their row commits); 0 only when no other server
    /// or `weft import` can be writing to it.
    #[arg(long, env = "WEFT_ORPHAN_GRACE_SECONDS", default_value_t = 3600)]
    pub orphan_grace_seconds: u64,

    #[command(flatten)]
    pub transcriber: super::transcriber::TranscriberArgs,

    #[command(flatten)]
    pub embedding: super::embed::EmbeddingArgs,

    #[command(flatten)]
    pub reels: super::reels::ReelArgs,

    /// link: `weft user reset-link NAME` makes single-use password reset links and the
    /// server takes them at /reset/TOKEN; off: no link is made or taken.
    #[arg(long, env = "WEFT_PASSWORD_RESET", value_enum, default_value_t = PasswordReset::Link)]
    pub password_reset: PasswordReset,

    /// Largest JSON request body, in bytes.
    #[arg(long, env = "WEFT_MAX_JSON_BYTES", default_value_t = Limits::DEFAULT.json_body_bytes as u64,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_json_bytes: u64,

    /// Unfinished resumable (tus) uploads one account may have at once; more are refused
    /// with 429 until one is finished, deleted or expired.
    #[arg(long, env = "WEFT_MAX_UNFINISHED_UPLOADS", default_value_t = Limits::DEFAULT.max_unfinished_uploads,
          value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub max_unfinished_uploads: i64,

    /// Seconds a resumable upload may go untouched before it is removed with its bytes
    /// (each PATCH starts the wait again) [default: 1 day].
    #[arg(long, env = "WEFT_UPLOAD_EXPIRY_SECONDS", default_value_t = Limits::DEFAULT.upload_expiry.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub upload_expiry_seconds: u64,
    // Single sign-on with OpenID Connect (docs/configuration.md#single-sign-on).
    /// The OpenID provider's issuer URL, exactly as it names itself; sets up single sign-on.
    /// Needs WEFT_PUBLIC_URL: the provider sends people back to PUBLIC_URL/signin/oidc/callback.
    #[arg(long, env = "WEFT_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret", "public_url"])]
    pub oidc_issuer: Option<String>,

    /// The client id Weft has at the provider.
    #[arg(long, env = "WEFT_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,

    /// The client secret Weft has at the provider.
    #[arg(
        long,
        env = "WEFT_OIDC_CLIENT_SECRET",
        requires = "oidc_issuer",
        hide_env_values = true
    )]
    pub oidc_client_secret: Option<String>,

    /// The provider's name on the sign-in button ("Sign in with LABEL").
    #[arg(long, env = "WEFT_OIDC_LABEL", default_value = "single sign-on")]
    pub oidc_label: String,

    /// The scopes Weft asks the provider for (openid, and email for new accounts).
    #[arg(long, env = "WEFT_OIDC_SCOPES", default_value = "openid email profile")]
    pub oidc_scopes: String,

    /// Create an account at a first single sign-on that matches none.
    #[arg(long, env = "WEFT_OIDC_CREATE_USERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub oidc_create_users: bool,

    /// Allow signing in with a password; false leaves single sign-on as the only way in.
    #[arg(long, env = "WEFT_PASSWORD_SIGNIN", default_value_t = true, action = clap::ArgAction::Set)]
    pub password_signin: bool,
}

impl ServeArgs {
    /// The account settings these options describe.
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig {
            bcrypt_cost: self.bcrypt_cost,
            registration_open: self.registration == Registration::Open,
            session_ttl: chrono::Duration::days(self.session_days),
            secure_cookies: self
                .public_url
                .as_ref()
                .is_some_and(|u| u.scheme() == "https"),
            throttle: ThrottleConfig {
                per_account: self.login_max_failures,
                per_address: self.login_max_failures_per_ip,
                registrations_per_address: self.registrations_per_ip,
                ..ThrottleConfig::default()
            },
            trust_proxy: self.trust_proxy,
            reset_links: self.password_reset == PasswordReset::Link,
            password_signin: self.password_signin,
            ..AuthConfig::default()
        }
    }

    /// The single sign-on settings, when an issuer is set; an error says what to fix.
    pub fn oidc_settings(&self) -> anyhow::Result<Option<OidcSettings>> {
        let Some(issuer) = &self.oidc_issuer else {
            anyhow::ensure!(
                self.password_signin,
                "WEFT_PASSWORD_SIGNIN=false needs single sign-on (WEFT_OIDC_ISSUER), or nobody \
                 could sign in"
            );
            return Ok(None);
        };
        let (Some(client_id), Some(secret), Some(public_url)) = (
            &self.oidc_client_id,
            &self.oidc_client_secret,
            &self.public_url,
        ) else {
            anyhow::bail!(
                "WEFT_OIDC_ISSUER needs WEFT_OIDC_CLIENT_ID, WEFT_OIDC_CLIENT_SECRET and WEFT_PUBLIC_URL"
            );
        };
        anyhow::ensure!(
            self.oidc_scopes.split_whitespace().any(|s| s == "openid"),
            "WEFT_OIDC_SCOPES must include openid (it is {:?})",
            self.oidc_scopes
        );
        // Under the public URL's path, whether or not it ends in a slash.
        let redirect_uri = url::Url::parse(&format!(
            "{}/signin/oidc/callback",
            public_url.as_str().trim_end_matches('/')
        ))
        .context("WEFT_PUBLIC_URL cannot take the callback path")?;
        Ok(Some(OidcSettings {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: crate::domain::Secret::new(secret.clone()),
            label: self.oidc_label.clone(),
            scopes: self.oidc_scopes.clone(),
            create_users: self.oidc_create_users,
            redirect_uri,
        }))
    }
}

/// Discovers the operator's OpenID provider, when single sign-on is set up.
async fn discover_oidc(args: &ServeArgs) -> anyhow::Result<Option<Arc<OidcProvider>>> {
    let Some(settings) = args.oidc_settings()? else {
        return Ok(None);
    };
    let issuer = settings.issuer.clone();
    let provider = OidcProvider::discover(settings).await.with_context(|| {
        format!("could not set up single sign-on with {issuer} (WEFT_OIDC_ISSUER)")
    })?;
    tracing::info!(issuer = %provider.issuer(), "single sign-on ready");
    Ok(Some(Arc::new(provider)))
}

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let config = global.db_config()?;
    // Before the database: a provider that cannot be reached stops the start at once.
    let oidc = discover_oidc(&args).await?;
    let started = std::time::Instant::now();
    let db = Database::open_migrated(&config).await?;
    tracing::info!(
        database = %db.target().describe(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "database ready"
    );
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            db.close().await;
            return Err(error).with_context(|| {
                format!(
                    "could not listen on {} (is another server using it? set WEFT_ADDR)",
                    args.addr
                )
            });
        }
    };
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let storage = match global.storage() {
        Ok(storage) => storage,
        Err(error) => {
            db.close().await;
            return Err(error.into());
        }
    };
    tracing::info!(storage = storage.describe(), "media storage");
    // Held until the server stops; what a killed earlier run left is removed here.
    let scratch_guard = match Scratch::claim(&config.data_dir.join("tmp"), "serve") {
        Ok(scratch) => scratch,
        Err(error) => {
            db.close().await;
            return Err(anyhow::Error::from(error).context("claiming the scratch folder"));
        }
    };
    let scratch = scratch_guard.dir().to_path_buf();
    let transcribing = args.transcriber.chosen() != super::transcriber::Transcriber::None;
    // With no local workers the model is not loaded: jobs wait for `weft worker` elsewhere.
    let local_engine = if args.transcriber.workers == 0 {
        Ok(None)
    } else {
        args.transcriber.engine()
    };
    let engine = match local_engine {
        Ok(engine) => engine,
        Err(error) => {
            db.close().await;
            return Err(error);
        }
    };
    let context = ApiContext {
        auth: Arc::new(AuthConfig {
            oidc,
            ..args.auth_config()
        }),
        limits: Limits {
            json_body_bytes: args.max_json_bytes as usize,
            request_timeout: Duration::from_secs(args.request_timeout),
            upload_bytes: args.max_upload_bytes,
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            max_connections: args.max_connections as usize,
            max_unfinished_uploads: args.max_unfinished_uploads,
            upload_expiry: Duration::from_secs(args.upload_expiry_seconds),
            ..Limits::default()
        },
        transcription: transcribing.then_some(args.transcriber.job_max_attempts),
        semantic: args.embedding.semantic(db.pool()).await,
        ..ApiContext::new(db.pool().clone(), storage, scratch)
    };
    // The embedded database is Weft's own: started again if it dies.
    let supervisor = match db.target() {
        crate::db::Target::Embedded(_) => Some(tokio::spawn(crate::db::supervise::embedded(
            config.data_dir.clone(),
            db.pool().clone(),
            context.database.clone(),
        ))),
        crate::db::Target::External(_) => None,
    };
    let reaper = tokio::spawn(crate::db::supervise::reap_orphans_as_init());
    let sweeper = tokio::spawn(sweep_sessions(db.pool().clone()));
    // In the background: listing a big bucket must not delay serving.
    let orphans = tokio::spawn(crate::sweep::at_start_up(
        db.pool().clone(),
        context.storage.clone(),
        Duration::from_secs(args.orphan_grace_seconds),
    ));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let workers = engine.map(|engine| {
        let pipeline = crate::jobs::transcribe::Pipeline {
            pool: db.pool().clone(),
            storage: context.storage.clone(),
            scratch: context.scratch.clone(),
            engine,
        };
        tracing::info!(
            engine = pipeline.engine.name(),
            workers = args.transcriber.workers,
            "transcription workers started"
        );
        tokio::spawn(crate::jobs::worker::run(
            pipeline,
            args.transcriber.worker_config(),
            shutdown.clone(),
        ))
    });
    let embedding = (args.embedding.embedding_workers > 0).then(|| {
        tokio::spawn(crate::semantic::worker::run(
            db.pool().clone(),
            context.semantic.clone(),
            shutdown.clone(),
        ))
    });
    let reels = args.reels.spawn(context.ingest(), shutdown.clone());
    let stop = shutdown.clone();
    let result = server::launch(context, listener, async move {
        server::shutdown_signal().await;
        stop.cancel();
    })
    .await;
    shutdown.cancel();
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    if let Some(embedding) = embedding {
        let _ = embedding.await;
    }
    if let Some(reels) = reels {
        let _ = reels.await;
    }
    sweeper.abort();
    orphans.abort();
    if let Some(supervisor) = supervisor {
        supervisor.abort();
    }
    reaper.abort();
    db.close().await;
    drop(scratch_guard);
    tracing::info!("stopped");
    result.context("the HTTP server failed")
}

/// Deletes expired sessions once an hour.
async fn sweep_sessions(pool: sqlx::PgPool) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match crate::db::sessions::sweep_expired(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "swept expired sessions"),
            Err(error) => tracing::warn!(%error, "sweeping expired sessions failed"),
        }
        let window = crate::accounts::throttle::ThrottleConfig::default().window;
        if let Err(error) =
            crate::db::throttle::sweep(&pool, window.max(chrono::Duration::hours(1))).await
        {
            tracing::warn!(%error, "sweeping old log-in counters failed");
        }
    }
}
