//! pgvector, when the database server has it: the extension and the HNSW index over the
//! passages' vectors, set up by each server at start (both statements do nothing when done
//! already). Without the extension, search by meaning answers that it is missing.

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
/// says what is there.
pub async fn ensure(pool: &PgPool) -> Vectors {
    match try_ensure(pool).await {
        Ok(vectors) => vectors,
        Err(error) => Vectors::Missing(format!("could not check for pgvector: {error}")),
    }
}

async fn try_ensure(pool: &PgPool) -> Result<Vectors, sqlx::Error> {
    let mut version = installed(pool).await?;
    if version.is_none() {
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
        if let Err(error) = sqlx::query("CREATE EXTENSION IF NOT EXISTS vector")
            .execute(pool)
            .await
        {
            // Another server may have created it meanwhile.
            version = installed(pool).await?;
            if version.is_none() {
                return Ok(Vectors::Missing(format!(
                    "pgvector is installed on the database server but could not be enabled \
                     ({error}); a superuser must run CREATE EXTENSION vector in this database"
                )));
            }
        }
        version = installed(pool).await?;
    }
    let Some(version) = version else {
        return Ok(Vectors::Missing("pgvector could not be enabled".into()));
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $1)")
            .bind(INDEX)
            .fetch_one(pool)
            .await?;
    if !exists {
        tracing::info!("building the index of passage vectors (once)");
        let made = sqlx::query(&format!(
            "CREATE INDEX IF NOT EXISTS {INDEX} ON passages
             USING hnsw ((embedding::vector(384)) vector_cosine_ops)"
        ))
        .execute(pool)
        .await;
        if let Err(error) = made {
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $1)")
                    .bind(INDEX)
                    .fetch_one(pool)
                    .await?;
            if !exists {
                return Ok(Vectors::Missing(format!(
                    "the index of passage vectors could not be made: {error}"
                )));
            }
        }
    }
    Ok(Vectors::Ready { version })
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
