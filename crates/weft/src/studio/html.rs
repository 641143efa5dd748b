//! The studio's pages: plain HTML with one stylesheet and no scripts.

use std::fmt::Write;

use super::catalog::{Column, Definition, Table};

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} · weft studio</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><a href=\"/\">weft studio</a> · read-only</header>{body}</body></html>",
        escape(title)
    )
}

/// The list of tables.
pub fn index(tables: &[Table], note: Option<&str>) -> String {
    let mut body = String::from("<h1>Tables</h1>");
    if let Some(note) = note {
        let _ = write!(body, "<p class=\"note\">{}</p>", escape(note));
    }
    body.push_str("<table><tr><th>table</th><th>rows (estimate)</th><th>size</th><th>row-level security</th></tr>");
    for table in tables {
        let _ = write!(
            body,
            "<tr><td><a href=\"/tables/{name}\">{name}</a></td><td>{rows}</td><td>{kib} KiB</td><td>{rls}</td></tr>",
            name = escape(&table.name),
            rows = table.estimated_rows.max(0.0) as i64,
            kib = table.total_bytes / 1024,
            rls = if table.row_security { "on" } else { "off" },
        );
    }
    body.push_str("</table>");
    page("Tables", &body)
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
    /// A link to this table with some settings changed.
    fn link(&self, sort: Option<(&str, bool)>, page: i64) -> String {
        let mut query = format!("page={page}");
        if let Some((column, descending)) = sort {
            let dir = if descending { "desc" } else { "asc" };
            let _ = write!(query, "&sort={}&dir={dir}", encode(column));
        }
        if let Some((column, text)) = self.filter {
            let _ = write!(query, "&column={}&q={}", encode(column), encode(text));
        }
        format!("/tables/{}?{}", encode(self.table), escape(&query))
    }

    /// The page.
    pub fn render(&self) -> String {
        let mut body = format!("<h1>{}</h1>", escape(self.table));
        body.push_str("<form method=\"get\"><label>Filter <select name=\"column\">");
        for column in self.columns {
            let chosen = self.filter.is_some_and(|(c, _)| c == column.name);
            let _ = write!(
                body,
                "<option{}>{}</option>",
                if chosen { " selected" } else { "" },
                escape(&column.name)
            );
        }
        let text = self.filter.map(|(_, t)| t).unwrap_or("");
        let _ = write!(
            body,
            "</select></label> contains <input name=\"q\" value=\"{}\">",
            escape(text)
        );
        if let Some((column, descending)) = self.sort {
            let _ = write!(
                body,
                "<input type=\"hidden\" name=\"sort\" value=\"{}\"><input type=\"hidden\" name=\"dir\" value=\"{}\">",
                escape(column),
                if descending { "desc" } else { "asc" }
            );
        }
        body.push_str(" <button>Filter</button></form><table><tr>");
        for column in self.columns {
            let descending = matches!(self.sort, Some((c, false)) if c == column.name);
            let arrow = match self.sort {
                Some((c, false)) if c == column.name => " ▲",
                Some((c, true)) if c == column.name => " ▼",
                _ => "",
            };
            let _ = write!(
                body,
                "<th><a href=\"{}\">{}</a>{arrow}</th>",
                self.link(Some((&column.name, descending)), 1),
                escape(&column.name)
            );
        }
        body.push_str("</tr>");
        for row in self.rows {
            body.push_str("<tr>");
            for column in self.columns {
                let cell = match row.get(&column.name) {
                    None | Some(serde_json::Value::Null) => {
                        "<span class=\"null\">null</span>".into()
                    }
                    Some(_) if masked(&column.name) => "<span class=\"null\">hidden</span>".into(),
                    Some(serde_json::Value::String(text)) => escape(text),
                    Some(other) => escape(&other.to_string()),
                };
                let _ = write!(body, "<td>{cell}</td>");
            }
            body.push_str("</tr>");
        }
        let _ = write!(body, "</table><nav>page {}", self.page);
        if self.page > 1 {
            let _ = write!(
                body,
                " · <a href=\"{}\">previous</a>",
                self.link(self.sort, self.page - 1)
            );
        }
        if self.has_next {
            let _ = write!(
                body,
                " · <a href=\"{}\">next</a>",
                self.link(self.sort, self.page + 1)
            );
        }
        body.push_str("</nav><h2>Columns</h2><table><tr><th>column</th><th>type</th><th>null</th><th>default</th></tr>");
        for column in self.columns {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&column.name),
                escape(&column.data_type),
                if column.not_null { "not null" } else { "null" },
                escape(column.default.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</table>");
        for (title, items) in [("Indexes", self.indexes), ("Constraints", self.constraints)] {
            let _ = write!(body, "<h2>{title}</h2><table>");
            for item in items {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td><code>{}</code></td></tr>",
                    escape(&item.name),
                    escape(&item.definition)
                );
            }
            body.push_str("</table>");
        }
        page(self.table, &body)
    }
}
