//! What every handler can reach: the database, storage, settings and services of a running
//! server.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::accounts::{Accounts, AuthConfig};
use crate::ingest::Ingest;
use crate::journals::Journals;
use crate::storage::Storage;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct ApiContext {
    pub pool: PgPool,
    /// How long `/ready` waits for the database before answering 503.
    pub ready_timeout: Duration,
    pub auth: Arc<AuthConfig>,
    pub limits: Limits,
    /// Videos and thumbnails.
    pub storage: Storage,
    /// Scratch space for uploads in progress.
    pub scratch: std::path::PathBuf,
    /// When transcription is on: the attempts a new job gets. None: transcription is off.
    pub transcription: Option<i32>,
    /// Timeline pages answered again while nothing they show has changed.
    pub timelines: Arc<crate::journals::page_cache::PageCache>,
    /// Sessions and timeline versions kept while this server hears the database's change
    /// notices (`server::launch` listens).
    pub sessions: Arc<crate::accounts::session_cache::SessionCache>,
    /// Set while the embedded database is known to be down (its supervisor restarts it).
    pub database: crate::db::supervise::DatabaseHealth,
    /// Search by meaning: the embedding model and pgvector, where the server has them.
    pub semantic: crate::semantic::Semantic,
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest JSON body accepted.
    pub json_body_bytes: usize,
    /// Longest a request (other than uploads and media streams) may take.
    pub request_timeout: Duration,
    /// Largest video upload, in bytes.
    pub upload_bytes: u64,
    /// An upload that sends nothing for this long is abandoned.
    pub upload_idle: Duration,
    /// A connection that takes longer than this to send a request's headers (or, new, its
    /// first byte) is closed.
    pub header_read_timeout: Duration,
    /// Connections held open at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Unfinished resumable uploads one user may have at once.
    pub max_unfinished_uploads: i64,
    /// A resumable upload untouched this long is removed with its bytes.
    pub upload_expiry: Duration,
}

impl Limits {
    /// The defaults, which `weft serve`'s flags show and start from.
    pub const DEFAULT: Limits = Limits {
        json_body_bytes: 64 * 1024,
        request_timeout: Duration::from_secs(30),
        upload_bytes: 2 * 1024 * 1024 * 1024,
        upload_idle: Duration::from_secs(60),
        header_read_timeout: Duration::from_secs(30),
        max_connections: 512,
        max_unfinished_uploads: 20,
        upload_expiry: Duration::from_secs(24 * 3600),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ApiContext {
    /// A context with default settings.
    pub fn new(pool: PgPool, storage: Storage, scratch: std::path::PathBuf) -> Self {
        Self {
            pool,
            ready_timeout: Duration::from_secs(2),
            auth: Arc::new(AuthConfig::default()),
            limits: Limits::default(),
            storage,
            scratch,
            transcription: None,
            timelines: Arc::default(),
            sessions: Arc::default(),
            database: Default::default(),
            semantic: crate::semantic::Semantic::off(
                "this server was started without search by meaning",
            ),
        }
    }

    /// The accounts service over this context's database and settings.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            pool: &self.pool,
            config: &self.auth,
            sessions: &self.sessions,
        }
    }

    /// The journals service over this context's database and storage.
    pub fn journals(&self) -> Journals<'_> {
        Journals {
            pool: &self.pool,
            storage: &self.storage,
        }
    }

    /// The resumable uploads service over this context's ingest and limits.
    pub fn uploads(&self) -> crate::uploads::Uploads {
        crate::uploads::Uploads::new(
            self.ingest(),
            crate::uploads::Settings {
                max_bytes: self.limits.upload_bytes,
                max_unfinished: self.limits.max_unfinished_uploads,
                expiry: self.limits.upload_expiry,
                idle: self.limits.upload_idle,
            },
        )
    }

    /// The journal-making pipeline over this context's database and storage.
    pub fn ingest(&self) -> Ingest {
        Ingest {
            pool: self.pool.clone(),
            storage: self.storage.clone(),
            scratch: self.scratch.clone(),
            transcription: self.transcription,
        }
    }
}
