//! What the studio reads: the tables, columns, indexes and constraints from pg_catalog, and
//! a page of rows. Table and column names are checked against the catalog before they
//! reach SQL; every value is bound.

use sqlx::{PgPool, Postgres, QueryBuilder};

/// The public schema's tables.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// The planner's estimate (exact counts of big tables are slow).
    pub estimated_rows: f32,
    pub total_bytes: i64,
    pub row_security: bool,
}

/// A column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// An index or a constraint, with its definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub definition: String,
}

/// Every table of the public schema, by name.
pub async fn tables(pool: &PgPool) -> Result<Vec<Table>, sqlx::Error> {
    sqlx::query_as!(
        Table,
        r#"SELECT c.relname::text AS "name!", c.reltuples AS estimated_rows,
                  pg_total_relation_size(c.oid) AS "total_bytes!",
                  c.relrowsecurity AS row_security
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"#
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
    sqlx::query_as!(
        Column,
        r#"SELECT a.attname::text AS "name!",
                  format_type(a.atttypid, a.atttypmod) AS "data_type!",
                  a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS "default?"
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0
             AND NOT a.attisdropped
           ORDER BY a.attnum"#,
        table,
    )
    .fetch_all(pool)
    .await
}

/// A table's indexes.
pub async fn indexes(pool: &PgPool, table: &str) -> Result<Vec<Definition>, sqlx::Error> {
    sqlx::query_as!(
        Definition,
        r#"SELECT indexname::text AS "name!", indexdef AS "definition!" FROM pg_indexes
           WHERE schemaname = 'public' AND tablename = $1 ORDER BY indexname"#,
        table,
    )
    .fetch_all(pool)
    .await
}

/// A table's constraints (keys, foreign keys, checks).
pub async fn constraints(pool: &PgPool, table: &str) -> Result<Vec<Definition>, sqlx::Error> {
    sqlx::query_as!(
        Definition,
        r#"SELECT con.conname::text AS "name!", pg_get_constraintdef(con.oid) AS "definition!"
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relname = $1 ORDER BY con.conname"#,
        table,
    )
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
    let mut select = QueryBuilder::<Postgres>::new("SELECT to_jsonb(t) FROM ");
    select.push(ident(table)).push(" t");
    if let Some((column, text)) = query.filter {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        select
            .push(format_args!(
                " WHERE t.{}::text ILIKE '%' || ",
                ident(column)
            ))
            .push_bind(escaped)
            .push(" || '%'");
    }
    // ctid breaks ties, so paging is stable even on a column with repeated values.
    match query.sort {
        Some((column, descending)) => select.push(format_args!(
            " ORDER BY t.{} {dir} NULLS LAST, t.ctid {dir}",
            ident(column),
            dir = if descending { "DESC" } else { "ASC" }
        )),
        None => select.push(" ORDER BY t.ctid"),
    };
    select
        .push(" LIMIT ")
        .push_bind(query.limit)
        .push(" OFFSET ")
        .push_bind(query.offset);
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    let found = select
        .build_query_scalar::<serde_json::Value>()
        .fetch_all(&mut *tx)
        .await?;
    tx.rollback().await?;
    Ok(found
        .into_iter()
        .filter_map(|row| match row {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .collect())
}
