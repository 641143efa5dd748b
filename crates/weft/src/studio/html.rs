//! The studio's pages: plain HTML with one stylesheet and no scripts, written with maud,
//! which escapes every value it is given.

use std::fmt::Write;

use maud::{html, Markup, DOCTYPE};

use super::catalog::{Column, Definition, Table};

/// Encodes a query-string value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The stylesheet.
pub const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}\
a{color:#0b5394}table{border-collapse:collapse;margin:.5rem 0}\
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top;\
max-width:28rem;overflow-wrap:anywhere}th{background:#f3f3f3}\
.null{color:#999;font-style:italic}.note{color:#665;background:#fff8dc;padding:.4rem}\
code{font-size:12px}form{margin:.5rem 0}nav{margin:.5rem 0}";

/// A whole page around `body`.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · weft studio" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header { a href="/" { "weft studio" } " · read-only" }
                (body)
            }
        }
    }
}

/// A short page that says what went wrong.
pub fn problem(message: &str) -> Markup {
    page("Problem", html! { p { (message) } })
}

/// The list of tables.
pub fn index(tables: &[Table], note: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Tables" }
        @if let Some(note) = note {
            p.note { (note) }
        }
        table {
            tr { th { "table" } th { "rows (estimate)" } th { "size" } th { "row-level security" } }
            @for table in tables {
                tr {
                    td { a href={ "/tables/" (table.name) } { (table.name) } }
                    td { (table.estimated_rows.max(0.0) as i64) }
                    td { (table.total_bytes / 1024) " KiB" }
                    td { (if table.row_security { "on" } else { "off" }) }
                }
            }
        }
    };
    page("Tables", body)
}

/// What the table page shows.
pub struct TableView<'a> {
    pub table: &'a str,
    pub columns: &'a [Column],
    pub rows: &'a [serde_json::Map<String, serde_json::Value>],
    pub sort: Option<(&'a str, bool)>,
    pub filter: Option<(&'a str, &'a str)>,
    pub page: i64,
    pub has_next: bool,
    pub indexes: &'a [Definition],
    pub constraints: &'a [Definition],
}

/// Columns whose values are secrets even to the operator.
fn masked(column: &str) -> bool {
    ["password", "token", "secret"]
        .iter()
        .any(|word| column.contains(word))
}

impl TableView<'_> {
    /// A link to this table with some settings changed (maud escapes it in the page).
    fn link(&self, sort: Option<(&str, bool)>, page: i64) -> String {
        let mut query = format!("page={page}");
        if let Some((column, descending)) = sort {
            let dir = if descending { "desc" } else { "asc" };
            let _ = write!(query, "&sort={}&dir={dir}", encode(column));
        }
        if let Some((column, text)) = self.filter {
            let _ = write!(query, "&column={}&q={}", encode(column), encode(text));
        }
        format!("/tables/{}?{query}", encode(self.table))
    }

    /// One cell: a value, or a grey word for null and for a secret.
    fn cell(row: &serde_json::Map<String, serde_json::Value>, column: &Column) -> Markup {
        html! {
            @match row.get(&column.name) {
                None | Some(serde_json::Value::Null) => span.null { "null" },
                Some(_) if masked(&column.name) => span.null { "hidden" },
                Some(serde_json::Value::String(text)) => (text),
                Some(other) => (other.to_string()),
            }
        }
    }

    /// The page.
    pub fn render(&self) -> Markup {
        let filter_text = self.filter.map(|(_, t)| t).unwrap_or("");
        let body = html! {
            h1 { (self.table) }
            form method="get" {
                label {
                    "Filter "
                    select name="column" {
                        @for column in self.columns {
                            @let chosen = self.filter.is_some_and(|(c, _)| c == column.name);
                            option selected[chosen] { (column.name) }
                        }
                    }
                }
                " contains "
                input name="q" value=(filter_text);
                @if let Some((column, descending)) = self.sort {
                    input type="hidden" name="sort" value=(column);
                    input type="hidden" name="dir" value=(if descending { "desc" } else { "asc" });
                }
                " "
                button { "Filter" }
            }
            table {
                tr {
                    @for column in self.columns {
                        @let descending = matches!(self.sort, Some((c, false)) if c == column.name);
                        @let arrow = match self.sort {
                            Some((c, false)) if c == column.name => " ▲",
                            Some((c, true)) if c == column.name => " ▼",
                            _ => "",
                        };
                        th { a href=(self.link(Some((&column.name, descending)), 1)) { (column.name) } (arrow) }
                    }
                }
                @for row in self.rows {
                    tr {
                        @for column in self.columns {
                            td { (Self::cell(row, column)) }
                        }
                    }
                }
            }
            nav {
                "page " (self.page)
                @if self.page > 1 {
                    " · " a href=(self.link(self.sort, self.page - 1)) { "previous" }
                }
                @if self.has_next {
                    " · " a href=(self.link(self.sort, self.page + 1)) { "next" }
                }
            }
            h2 { "Columns" }
            table {
                tr { th { "column" } th { "type" } th { "null" } th { "default" } }
                @for column in self.columns {
                    tr {
                        td { (column.name) }
                        td { (column.data_type) }
                        td { (if column.not_null { "not null" } else { "null" }) }
                        td { code { (column.default.as_deref().unwrap_or("")) } }
                    }
                }
            }
            @for (title, items) in [("Indexes", self.indexes), ("Constraints", self.constraints)] {
                h2 { (title) }
                table {
                    @for item in items {
                        tr { td { (item.name) } td { code { (item.definition) } } }
                    }
                }
            }
        };
        page(self.table, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_names_and_links_are_escaped() {
        let columns = [Column {
            name: "a\"b".into(),
            data_type: "text".into(),
            not_null: false,
            default: None,
        }];
        let mut row = serde_json::Map::new();
        row.insert("a\"b".into(), serde_json::json!("<script>&"));
        let view = TableView {
            table: "t<1>",
            columns: &columns,
            rows: &[row],
            sort: None,
            filter: Some(("a\"b", "x&y")),
            page: 1,
            has_next: true,
            indexes: &[],
            constraints: &[],
        };

        let page = view.render().into_string();

        assert!(page.contains("<td>&lt;script&gt;&amp;</td>"), "{page}");
        assert!(page.contains("<h1>t&lt;1&gt;</h1>"), "{page}");
        assert!(
            page.contains("<option selected>a&quot;b</option>"),
            "{page}"
        );
        assert!(
            page.contains(
                r#"href="/tables/t%3C1%3E?page=2&amp;column=a%22b&amp;q=x%26y">next</a>"#
            ),
            "{page}"
        );
        assert!(!page.contains("<script>"));
    }
}
