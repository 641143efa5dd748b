//! Search by meaning: what was said, cut into passages ([`passages`]), each turned into a
//! sentence vector by the embedding model (crate `weft-embed`, all-MiniLM-L6-v2) in the
//! background ([`worker`]), and found by the nearest vectors to the query's ([`find`]),
//! through pgvector's HNSW index where the extension is installed ([`index`]).
//!
//! Two things can be missing on a server, and each is said plainly rather than hidden:
//! the model (not fetched: `scripts/install-deps`) and the extension (not installed in
//! PostgreSQL). Keyword search works without either; passages are computed whenever the
//! model is there, so that installing the extension later needs no backfill.

pub mod find;
pub mod index;
pub mod passages;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use index::Vectors;
pub use weft_embed::{default_model_dir, Embedder};

/// How long a query's vector is kept: a query repeated (the next page, the reel of a
/// search) is not embedded again.
const QUERY_CACHE_TTL: Duration = Duration::from_secs(600);
const QUERY_CACHE_ENTRIES: u64 = 2_000;
/// How long a user's count of passages is trusted when choosing how to search (it only
/// picks between two plans, so a count some minutes old does no harm).
const SIZE_CACHE_TTL: Duration = Duration::from_secs(600);
/// Users with at most this many passages are searched exactly, every passage compared with
/// the query (about 3 µs each, so 15 ms at most); users with more, through the HNSW index
/// of their partition. Measured in docs/BENCHMARKS.md, "Search by meaning".
pub const EXACT_UP_TO: i64 = 5_000;

/// What search by meaning needs, shared by the routes and the workers of a process: the
/// model, loaded once, and whether PostgreSQL can order by vectors.
#[derive(Clone)]
pub struct Semantic {
    embedder: Result<Arc<Embedder>, Arc<str>>,
    vectors: Vectors,
    queries: moka::sync::Cache<String, Arc<Vec<f32>>>,
    /// Each user's number of passages, lately counted.
    sizes: moka::sync::Cache<uuid::Uuid, i64>,
    exact_up_to: i64,
}

impl std::fmt::Debug for Semantic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semantic")
            .field("model", &self.embedder.as_ref().map(|_| "loaded"))
            .field("vectors", &self.vectors)
            .finish()
    }
}

/// Why search by meaning cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum MeaningError {
    /// The embedding model is not installed (or did not load).
    #[error("search by meaning is not available on this server: {0}")]
    NoModel(String),
    /// PostgreSQL has no pgvector.
    #[error("search by meaning is not available on this server: {0}")]
    NoVectors(String),
    #[error("the embedding model failed: {0}")]
    Engine(String),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Semantic {
    /// Loads the model from `model_dir` (or the default place) and looks at the database's
    /// vector support. Neither failing stops the server: each is reported when asked for.
    pub fn new(model_dir: Option<&std::path::Path>, vectors: Vectors) -> Semantic {
        let embedder = load(model_dir);
        if let Err(reason) = &embedder {
            tracing::warn!(%reason, "search by meaning is off: no embedding model");
        }
        Semantic::with(embedder.map(Arc::new), vectors)
    }

    /// From a model already loaded (tests share one between servers).
    pub fn with(embedder: Result<Arc<Embedder>, String>, vectors: Vectors) -> Semantic {
        Semantic {
            embedder: embedder.map_err(Arc::from),
            vectors,
            queries: moka::sync::Cache::builder()
                .max_capacity(QUERY_CACHE_ENTRIES)
                .time_to_live(QUERY_CACHE_TTL)
                .build(),
            sizes: moka::sync::Cache::builder()
                .max_capacity(QUERY_CACHE_ENTRIES)
                .time_to_live(SIZE_CACHE_TTL)
                .build(),
            exact_up_to: EXACT_UP_TO,
        }
    }

    /// The same, searching exactly only users with at most `passages` passages (tests
    /// use 0 to search through the index whatever the size).
    pub fn exact_up_to(self, passages: i64) -> Semantic {
        Semantic {
            exact_up_to: passages,
            ..self
        }
    }

    /// Whether the user of `tx` is searched through the index rather than exactly: they
    /// have more than [`EXACT_UP_TO`] passages (counted at most every ten minutes).
    pub async fn through_index(
        &self,
        tx: &mut crate::db::scoped::UserTx,
    ) -> Result<bool, sqlx::Error> {
        let user_id = tx.user_id();
        let size = match self.sizes.get(&user_id) {
            Some(size) => size,
            None => {
                let size = crate::db::passages::count(tx).await?;
                self.sizes.insert(user_id, size);
                size
            }
        };
        Ok(size > self.exact_up_to)
    }

    /// Neither model nor vectors: for commands that do not search.
    pub fn off(reason: &str) -> Semantic {
        Semantic::with(
            Err(reason.to_string()),
            Vectors::Missing(reason.to_string()),
        )
    }

    /// The model, when loaded.
    pub fn embedder(&self) -> Result<&Arc<Embedder>, MeaningError> {
        self.embedder
            .as_ref()
            .map_err(|reason| MeaningError::NoModel(reason.to_string()))
    }

    /// Whether PostgreSQL orders by vectors.
    pub fn vectors(&self) -> &Vectors {
        &self.vectors
    }

    /// The vector of a query, from the cache or embedded now (off the async threads).
    pub async fn query_vector(&self, q: &str) -> Result<Arc<Vec<f32>>, MeaningError> {
        if let Some(found) = self.queries.get(q) {
            return Ok(found);
        }
        let embedder = self.embedder()?.clone();
        let text = q.to_string();
        let vector = tokio::task::spawn_blocking(move || embedder.embed(&[text.as_str()]))
            .await
            .map_err(|error| MeaningError::Engine(error.to_string()))?
            .map_err(|error| MeaningError::Engine(error.to_string()))?
            .into_iter()
            .next()
            .ok_or_else(|| MeaningError::Engine("no vector for the query".into()))?;
        let vector = Arc::new(vector);
        self.queries.insert(q.to_string(), vector.clone());
        Ok(vector)
    }
}

/// The model from `dir`, else from the default place; the reason in words when none loads.
fn load(dir: Option<&std::path::Path>) -> Result<Embedder, String> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => weft_embed::default_model_dir().ok_or_else(|| {
            "the embedding model is not installed (run scripts/install-deps, or set \
             WEFT_EMBEDDING_MODEL to its folder)"
                .to_string()
        })?,
    };
    Embedder::load(&dir).map_err(|error| format!("{}: {error}", dir.display()))
}
