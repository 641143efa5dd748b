//! `weft db studio`: a local, read-only web page to browse the database — tables with
//! paging, sorting and filtering, and each table's columns, indexes and constraints.
//!
//! Read-only three times over: the connections start with `default_transaction_read_only`,
//! every page reads in a `READ ONLY` transaction, and no handler takes SQL from the request
//! (names are checked against pg_catalog; values are bound).

pub mod catalog;
pub mod html;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// Rows on one page.
pub const PAGE_ROWS: i64 = 50;

/// What the pages reach.
#[derive(Debug, Clone)]
pub struct Studio {
    pub pool: PgPool,
    /// Shown on the front page (e.g. that row-level security hides rows from this role).
    pub note: Option<String>,
}

/// A small pool whose every transaction is read-only.
pub async fn read_only_pool(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            options
                .application_name("weft-studio")
                .options([("default_transaction_read_only", "on")]),
        )
        .await
}

/// Refuses any address but loopback: the studio shows every row to whoever connects.
pub fn check_loopback(addr: &SocketAddr) -> anyhow::Result<()> {
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "the studio listens on loopback only (127.0.0.1 or ::1), not {addr}: it shows every \
         row to whoever connects. To reach it from elsewhere, use an SSH tunnel \
         (ssh -L 5555:127.0.0.1:5555 HOST)"
    );
    Ok(())
}

/// The studio's routes.
pub fn router(studio: Studio) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/style.css", get(style))
        .route("/tables/{name}", get(table))
        .with_state(studio)
        .layer(axum::middleware::from_fn(
            crate::middleware::headers::security_headers,
        ))
}

/// An answer for a problem: a short page with its status.
fn problem(status: StatusCode, message: &str) -> Response {
    (status, html::problem(message)).into_response()
}

fn failed(error: sqlx::Error) -> Response {
    tracing::warn!(%error, "studio query failed");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "the database did not answer; try again",
    )
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        html::STYLE,
    )
}

async fn index(State(studio): State<Studio>) -> Response {
    match catalog::tables(&studio.pool).await {
        Ok(tables) => html::index(&tables, studio.note.as_deref()).into_response(),
        Err(error) => failed(error),
    }
}

/// The table page's query string.
#[derive(Debug, Deserialize)]
pub struct TableQuery {
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    column: Option<String>,
    q: Option<String>,
}

async fn table(
    State(studio): State<Studio>,
    Path(name): Path<String>,
    Query(query): Query<TableQuery>,
) -> Response {
    let pool = &studio.pool;
    match catalog::table(pool, &name).await {
        Ok(Some(_)) => {}
        Ok(None) => return problem(StatusCode::NOT_FOUND, &format!("no table named {name}")),
        Err(error) => return failed(error),
    }
    let columns = match catalog::columns(pool, &name).await {
        Ok(columns) => columns,
        Err(error) => return failed(error),
    };
    let known = |wanted: &str| columns.iter().any(|c| c.name == wanted);
    let page = match query.page.as_deref().map(str::parse::<i64>) {
        None => 1,
        Some(Ok(page)) if (1..=1_000_000).contains(&page) => page,
        Some(_) => return problem(StatusCode::BAD_REQUEST, "page must be a number from 1"),
    };
    let descending = match query.dir.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return problem(StatusCode::BAD_REQUEST, "dir must be asc or desc"),
    };
    let sort = match query.sort.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(column) if known(column) => Some((column, descending)),
        Some(column) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("{name} has no column {column}"),
            )
        }
    };
    let text = query.q.as_deref().unwrap_or("");
    let filter = match query.column.as_deref() {
        _ if text.is_empty() => None,
        Some(column) if known(column) => Some((column, text)),
        _ => return problem(StatusCode::BAD_REQUEST, "filter on a column of this table"),
    };
    let wanted = catalog::Query {
        sort,
        filter,
        offset: (page - 1) * PAGE_ROWS,
        // One more than a page says whether there is a next one.
        limit: PAGE_ROWS + 1,
    };
    let (mut rows, indexes, constraints) = match tokio::try_join!(
        catalog::rows(pool, &name, &wanted),
        catalog::indexes(pool, &name),
        catalog::constraints(pool, &name),
    ) {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
    let has_next = rows.len() as i64 > PAGE_ROWS;
    rows.truncate(PAGE_ROWS as usize);
    let view = html::TableView {
        table: &name,
        columns: &columns,
        rows: &rows,
        sort,
        filter,
        page,
        has_next,
        indexes: &indexes,
        constraints: &constraints,
    };
    view.render().into_response()
}

/// Serves the studio on `listener` until `shutdown` completes.
pub async fn serve(
    studio: Studio,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(studio))
        .with_graceful_shutdown(shutdown)
        .await
}
