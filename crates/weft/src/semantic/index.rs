//! pgvector, when the database server has it: the extension and the HNSW index over the
//! passages' vectors, set up by each server at start (the index in the background; both do
//! nothing when done already). Without the extension, search by meaning answers that it is
//! missing.

use sqlx::PgPool;

/// The index's name (an expression index: `passages.embedding` is `real[]`, migration 0016).
pub const INDEX: &str = "passages_embedding_hnsw_idx";

/// Whether PostgreSQL can order passages by vector distance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vectors {
    /// pgvector of this version, with the index.
    Ready { version: String },
    /// Why not, in words that say what to do.
    Missing(String),
}

impl Vectors {
    /// Whether the installed pgvector continues an index scan past the first candidates
    /// when a filter (the user, a tag, a date) removes them (`hnsw.iterative_scan`, 0.8).
    pub fn iterates(&self) -> bool {
        match self {
            Vectors::Ready { version } => {
                let mut parts = version
                    .split('.')
                    .map(|part| part.parse::<u32>().unwrap_or(0));
                let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                (major, minor) >= (0, 8)
            }
            Vectors::Missing(_) => false,
        }
    }
}

/// Creates the extension (where the server has it and this role may) and the index, and
/// says what is there: for commands and tests, which wait for the index.
pub async fn ensure(pool: &PgPool) -> Vectors {
    let vectors = extension(pool).await;
    if matches!(vectors, Vectors::Ready { .. }) {
        if let Err(error) = build_index(pool).await {
            tracing::warn!(%error, "the index of passage vectors could not be made");
        }
    }
    vectors
}

/// Creates the extension where the server has it and this role may, and says what is there.
pub async fn extension(pool: &PgPool) -> Vectors {
    match try_extension(pool).await {
        Ok(vectors) => vectors,
        Err(error) => Vectors::Missing(format!("could not check for pgvector: {error}")),
    }
}

async fn try_extension(pool: &PgPool) -> Result<Vectors, sqlx::Error> {
    if let Some(version) = installed(pool).await? {
        return Ok(Vectors::Ready { version });
    }
    let available: Option<String> = sqlx::query_scalar(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
    )
    .fetch_optional(pool)
    .await?;
    if available.is_none() {
        return Ok(Vectors::Missing(
            "the database server has no pgvector extension (on the embedded database, \
             run scripts/install-deps; on your own server, install pgvector and run \
             CREATE EXTENSION vector)"
                .into(),
        ));
    }
    let created = sqlx::query("CREATE EXTENSION IF NOT EXISTS vector")
        .execute(pool)
        .await;
    // Another server may have created it meanwhile, so whether it is there is what counts.
    Ok(match (installed(pool).await?, created) {
        (Some(version), _) => Vectors::Ready { version },
        (None, Err(error)) => Vectors::Missing(format!(
            "pgvector is installed on the database server but could not be enabled \
             ({error}); a superuser must run CREATE EXTENSION vector in this database"
        )),
        (None, Ok(_)) => Vectors::Missing("pgvector could not be enabled".into()),
    })
}

/// Builds the HNSW index of passage vectors when it is missing (once per database; minutes
/// on a large one, so a server runs it in the background: searches work without it, only
/// slower). Nothing to do when it exists.
pub async fn build_index(pool: &PgPool) -> Result<(), sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $1)")
            .bind(INDEX)
            .fetch_one(pool)
            .await?;
    if exists {
        return Ok(());
    }
    tracing::info!("building the index of passage vectors (once)");
    sqlx::query(&format!(
        "CREATE INDEX IF NOT EXISTS {INDEX} ON passages
         USING hnsw ((embedding::vector(384)) vector_cosine_ops)"
    ))
    .execute(pool)
    .await?;
    tracing::info!("the index of passage vectors is built");
    Ok(())
}

async fn installed(pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        .fetch_optional(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterative_scans_come_with_version_0_8() {
        let ready = |version: &str| Vectors::Ready {
            version: version.into(),
        };
        assert!(ready("0.8.0").iterates());
        assert!(ready("1.0").iterates());
        assert!(!ready("0.7.4").iterates());
        assert!(!Vectors::Missing("no".into()).iterates());
    }
}
