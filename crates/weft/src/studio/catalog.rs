//! What the studio reads: the tables, columns, indexes and constraints from pg_catalog, and
//! a page of rows. Table and column names are checked against the catalog before they
//! reach SQL; every value is bound.

use sqlx::PgPool;

/// The public schema's tables.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Table {
    pub name: String,
    /// The planner's estimate (exact counts of big tables are slow).
    pub estimated_rows: f32,
    pub total_bytes: i64,
    pub row_security: bool,
}

/// A column of a table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// An index or a constraint, with its definition.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Definition {
    pub name: String,
    pub definition: String,
}

/// Every table of the public schema, by name.
pub async fn tables(pool: &PgPool) -> Result<Vec<Table>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.relname::text AS name, c.reltuples AS estimated_rows, \
                pg_total_relation_size(c.oid) AS total_bytes, c.relrowsecurity AS row_security \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname",
    )
    .fetch_all(pool)
    .await
}

/// The table of that name, if the catalog has it.
pub async fn table(pool: &PgPool, name: &str) -> Result<Option<Table>, sqlx::Error> {
    Ok(tables(pool).await?.into_iter().find(|t| t.name == name))
}

/// A table's columns, in their order.
pub async fn columns(pool: &PgPool, table: &str) -> Result<Vec<Column>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS data_type, \
                a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(pool)
    .await
}

/// A table's indexes.
pub async fn indexes(pool: &PgPool, table: &str) -> Result<Vec<Definition>, sqlx::Error> {
    sqlx::query_as(
        "SELECT indexname::text AS name, indexdef AS definition FROM pg_indexes \
         WHERE schemaname = 'public' AND tablename = $1 ORDER BY indexname",
    )
    .bind(table)
    .fetch_all(pool)
    .await
}

/// A table's constraints (keys, foreign keys, checks).
pub async fn constraints(pool: &PgPool, table: &str) -> Result<Vec<Definition>, sqlx::Error> {
    sqlx::query_as(
        "SELECT con.conname::text AS name, pg_get_constraintdef(con.oid) AS definition \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname = $1 ORDER BY con.conname",
    )
    .bind(table)
    .fetch_all(pool)
    .await
}

/// Which rows to show.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// A column of the table (checked by the caller), and whether descending.
    pub sort: Option<(&'a str, bool)>,
    /// Rows whose column's text contains this (case-insensitive).
    pub filter: Option<(&'a str, &'a str)>,
    pub offset: i64,
    pub limit: i64,
}

/// Double-quotes a name the catalog gave us.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A page of rows, each a JSON object by column name, in a read-only transaction.
pub async fn rows(
    pool: &PgPool,
    table: &str,
    query: &Query<'_>,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, sqlx::Error> {
    let mut sql = format!("SELECT to_jsonb(t) FROM {} t", ident(table));
    if let Some((column, _)) = query.filter {
        sql.push_str(&format!(
            " WHERE t.{}::text ILIKE '%' || $3 || '%'",
            ident(column)
        ));
    }
    // ctid breaks ties, so paging is stable even on a column with repeated values.
    match query.sort {
        Some((column, descending)) => sql.push_str(&format!(
            " ORDER BY t.{} {dir} NULLS LAST, t.ctid {dir}",
            ident(column),
            dir = if descending { "DESC" } else { "ASC" }
        )),
        None => sql.push_str(" ORDER BY t.ctid"),
    }
    sql.push_str(" LIMIT $1 OFFSET $2");
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    let escaped = query.filter.map(|(_, text)| {
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    });
    let mut select = sqlx::query_scalar::<_, serde_json::Value>(&sql)
        .bind(query.limit)
        .bind(query.offset);
    if let Some(text) = &escaped {
        select = select.bind(text);
    }
    let found = select.fetch_all(&mut *tx).await?;
    tx.rollback().await?;
    Ok(found
        .into_iter()
        .filter_map(|row| match row {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .collect())
}
