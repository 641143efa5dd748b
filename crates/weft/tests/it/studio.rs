//! `weft db studio` against a real PostgreSQL: tables, paging, sorting, filtering, schema
//! and indexes; names checked against the catalog; a connection that cannot write; and
//! loopback only.

use crate::common::{self, TestDb};
use weft::db::url::DatabaseUrl;
use weft::studio::{self, Studio};

struct Running {
    base: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn page(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.unwrap().unwrap();
    }
}

/// The studio over `db`, as the superuser (past row-level security), on loopback.
async fn start(db: &TestDb) -> Running {
    let options = DatabaseUrl::parse(&db.admin_url)
        .unwrap()
        .connect_options()
        .unwrap();
    let pool = studio::read_only_pool(options).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(studio::serve(
        Studio { pool, note: None },
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        base,
        client: reqwest::Client::new(),
        stop,
        handle,
    }
}

async fn users(db: &TestDb, names: &[&str]) {
    for name in names {
        sqlx::query("INSERT INTO users (username, email, password_hash) VALUES ($1, $1 || '@example.com', 'secret-hash')")
            .bind(name)
            .execute(&db.pool)
            .await
            .unwrap();
    }
}

/// The usernames in the order the page shows them.
fn usernames_in(page: &str, among: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = among
        .iter()
        .filter_map(|name| {
            page.find(&format!("<td>{name}</td>"))
                .map(|at| (at, name.to_string()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, name)| name).collect()
}

#[tokio::test]
async fn the_front_page_lists_the_tables_and_a_table_page_shows_rows_schema_and_indexes() {
    let db = common::fresh_db().await;
    users(&db, &["alice"]).await;
    let studio = start(&db).await;

    let (status, index) = studio.page("/").await;
    let (table_status, table) = studio.page("/tables/users").await;
    let (_, journals) = studio.page("/tables/journals").await;

    assert_eq!(status, 200);
    for name in ["users", "journals", "transcripts", "transcription_jobs"] {
        assert!(
            index.contains(&format!("href=\"/tables/{name}\"")),
            "{name}: {index}"
        );
    }
    assert_eq!(table_status, 200);
    assert!(table.contains("<td>alice</td>"), "{table}");
    assert!(table.contains("<h2>Columns</h2>") && table.contains("username"));
    assert!(!table.contains("secret-hash"), "password hashes are hidden");
    assert!(
        journals.contains("journals_user_id_idx"),
        "indexes are shown"
    );
    assert!(
        journals.contains("FOREIGN KEY (user_id) REFERENCES users(id)"),
        "{journals}"
    );
    assert!(!table.contains("<script"), "no scripts");
    studio.stop().await;
}

#[tokio::test]
async fn rows_are_sorted_filtered_and_paged() {
    let db = common::fresh_db().await;
    let names: Vec<String> = (0..55).map(|n| format!("user{n:02}")).collect();
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    users(&db, &all).await;
    let studio = start(&db).await;

    let (_, descending) = studio.page("/tables/users?sort=username&dir=desc").await;
    let (_, second) = studio
        .page("/tables/users?sort=username&dir=asc&page=2")
        .await;
    let (_, filtered) = studio.page("/tables/users?column=username&q=R1").await;
    let (_, wildcard) = studio.page("/tables/users?column=username&q=%25").await;

    let shown = usernames_in(&descending, &all);
    assert_eq!(shown.len(), 50, "one page is 50 rows");
    assert_eq!(shown[0], "user54");
    assert_eq!(shown[49], "user05");
    assert!(descending.contains(">next</a>"));
    assert_eq!(
        usernames_in(&second, &all),
        ["user50", "user51", "user52", "user53", "user54"]
    );
    assert!(!second.contains(">next</a>") && second.contains(">previous</a>"));
    let matched = usernames_in(&filtered, &all);
    assert_eq!(
        matched.len(),
        10,
        "user10 to user19, case-insensitive: {matched:?}"
    );
    assert!(
        usernames_in(&wildcard, &all).is_empty(),
        "% is matched literally"
    );
    studio.stop().await;
}

#[tokio::test]
async fn names_not_in_the_catalog_are_refused_without_reaching_sql() {
    let db = common::fresh_db().await;
    users(&db, &["alice"]).await;
    let studio = start(&db).await;

    for (path, want) in [
        ("/tables/nope", 404),
        ("/tables/users%3B%20DROP%20TABLE%20users", 404),
        ("/tables/users?sort=username%3B%20DROP%20TABLE%20users", 400),
        ("/tables/users?sort=nope", 400),
        ("/tables/users?column=nope&q=x", 400),
        ("/tables/users?dir=sideways", 400),
        ("/tables/users?page=0", 400),
        ("/tables/users?page=abc", 400),
    ] {
        let (status, _) = studio.page(path).await;
        assert_eq!(status, want, "{path}");
    }
    let still: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(still, 1);
    studio.stop().await;
}

#[tokio::test]
async fn the_studio_connection_cannot_write_even_as_a_superuser() {
    let db = common::fresh_db().await;
    let options = DatabaseUrl::parse(&db.admin_url)
        .unwrap()
        .connect_options()
        .unwrap();
    let pool = studio::read_only_pool(options).await.unwrap();

    let insert = sqlx::query(
        "INSERT INTO users (username, email, password_hash) VALUES ('x', 'x@example.com', 'x')",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    let drop = sqlx::query("DROP TABLE tags")
        .execute(&pool)
        .await
        .unwrap_err();

    for error in [insert, drop] {
        let code = error
            .as_database_error()
            .unwrap()
            .code()
            .unwrap()
            .to_string();
        assert_eq!(code, "25006", "read_only_sql_transaction: {error}");
    }
    pool.close().await;
}

#[tokio::test]
async fn the_command_refuses_to_listen_beyond_loopback() {
    let db = common::fresh_db().await;
    let output = std::process::Command::new(common::weft_bin())
        .args(["db", "studio", "--addr", "0.0.0.0:0"])
        .env("DATABASE_URL", db.url())
        .env("WEFT_LOG", "warn")
        .output()
        .unwrap();

    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("loopback only"), "{said}");
}

#[tokio::test]
async fn the_command_serves_on_loopback_until_stopped() {
    let db = common::fresh_db().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(common::weft_bin())
        .args(["db", "studio", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", db.url())
        .env("WEFT_ADMIN_DATABASE_URL", &db.admin_url)
        .env("WEFT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/")).send().await {
            break response;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the studio did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let status = page.status();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let body = page.text().await.unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let exited = child.wait().unwrap();

    assert_eq!(status, 200);
    assert!(body.contains("href=\"/tables/users\""), "{body}");
    assert!(csp.contains("default-src 'self'"));
    assert!(exited.success(), "stops cleanly on SIGTERM");
}
