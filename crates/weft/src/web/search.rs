//! Search (`/search?q=`): results with highlighted snippets and the moments the words were
//! said; a moment opens the entry playing from there. The filters (dates, a tag, what to
//! search in) and the order are fields of the same GET form, so the page works without
//! JavaScript and every search is a link; the pager and "did you mean" keep them.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::WebError;
use super::viewer::{encode_component, Viewer};
use crate::api::filters::SearchFilters;
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::{scoped, tags};
use crate::search::{Scope, SearchHit, SearchPage, Sort};
use crate::semantic::find::{self, Mode};

/// Results on one page.
const PAGE: i64 = 20;

/// Query of the search page and of its reel: the form's fields, as typed (checked by
/// [`SearchFilters`]).
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    mode: String,
}

impl SearchQuery {
    /// The words searched for, as typed.
    pub(super) fn q(&self) -> &str {
        &self.q
    }

    /// The filters, to be checked into a search request.
    pub(super) fn filters(&self) -> SearchFilters<'_> {
        SearchFilters {
            tag: Some(&self.tag),
            from: Some(&self.from),
            to: Some(&self.to),
            scope: Some(&self.scope),
            sort: Some(&self.sort),
        }
    }

    /// The URL of this search for `q`, its filters kept, from the page after `cursor`.
    pub(super) fn href(&self, q: &str, cursor: Option<&str>) -> String {
        let mut href = format!("/search?q={}", encode_component(q));
        for (name, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("tag", &self.tag),
            ("scope", &self.scope),
            ("sort", &self.sort),
            ("mode", &self.mode),
        ] {
            if !value.trim().is_empty() {
                href.push_str(&format!("&{name}={}", encode_component(value.trim())));
            }
        }
        if let Some(cursor) = cursor {
            href.push_str(&format!("&cursor={}", encode_component(cursor)));
        }
        href
    }

    /// The URL of the reel of this search for `q` (`/search/reel`, the filters kept).
    fn reel_href(&self, q: &str) -> String {
        self.href(q, None).replacen("/search?", "/search/reel?", 1)
    }
}

/// GET /search.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let q = query.q.trim().to_string();
    let user = viewer.current.user.id;
    let mut tx = scoped::begin_for_user_planning_each(&context.pool, user).await?;
    let own_tags = tags::counts_for_user(&mut tx)
        .await
        .map_err(ApiError::from)?;
    let checked = query
        .filters()
        .request(q.clone(), PAGE, query.cursor.clone());
    let (results, status) = match checked {
        // The filters are checked even before there is a query, so that a bad date is
        // never kept silently in the form.
        Err(error) if error.status().is_client_error() => {
            let status = error.status();
            (Some(Err(error.message().to_string())), status)
        }
        Err(error) => return Err(error.into()),
        Ok(_) if q.is_empty() => (None, StatusCode::OK),
        Ok(request) => match find::search(&mut tx, &context.semantic, mode(&query), &request)
            .await
            .map_err(ApiError::from)
        {
            Ok(page) => (Some(Ok(page)), StatusCode::OK),
            // A bad query, or search by meaning on a server without it: said on the page.
            Err(error)
                if error.status().is_client_error()
                    || error.status() == StatusCode::SERVICE_UNAVAILABLE =>
            {
                let status = error.status();
                (Some(Err(error.message().to_string())), status)
            }
            Err(error) => return Err(error.into()),
        },
    };
    scoped::end_reading(tx);
    let title = if q.is_empty() {
        "Search".to_string()
    } else {
        format!("“{q}”")
    };
    let tag_names: Vec<&str> = own_tags.iter().map(|t| t.tag.as_str()).collect();
    let markup = layout::page(
        Frame {
            title: &title,
            viewer: Some(&viewer),
            nav: Nav::Search,
            scripts: &["search.js"],
        },
        html! {
            h1.search-title { "Search" }
            (form(&query, &q, &tag_names))
            @match &results {
                None => {
                    p.muted.hint {
                        "Words, " kbd { "\"exact phrases\"" } ", prefixes like " kbd { "walk*" }
                        ", " kbd { "-exclude" } " and " kbd { "OR" } ". Press " kbd { "/" }
                        " on any page to search. Match “the meaning” to find what you meant in other words: "
                        em { "feeling tired" } " finds “I was exhausted”."
                    }
                },
                Some(Err(message)) => { (layout::notice(false, message)) },
                Some(Ok(page)) => { (results_list(&query, &q, page)) },
            }
        },
    );
    Ok((status, markup).into_response())
}

/// How the search matches: what the form chose, words when it chose nothing it offers.
pub(super) fn mode(query: &SearchQuery) -> Mode {
    Mode::parse(query.mode.trim()).unwrap_or_default()
}

/// The search box and its filters: one GET form.
fn form(query: &SearchQuery, q: &str, own_tags: &[&str]) -> Markup {
    let scope = Scope::parse(query.scope.trim()).unwrap_or_default();
    let sort = Sort::parse(query.sort.trim()).unwrap_or_default();
    let tag = query.tag.trim();
    html! {
        // The filters wrap below the box and its button (app.css, search section).
        form.search-box method="get" action="/search" role="search" {
            label.visually-hidden for="q" { "Search your journal" }
            input #q type="search" name="q" value=(q) placeholder="Search what you said, titles, notes, places, tags"
                autofocus[q.is_empty()] autocomplete="off" maxlength="256";
            button.primary type="submit" { "Search" }
            fieldset.search-filters {
                legend.visually-hidden { "Filters" }
                div.filter {
                    label for="from" { "From" }
                    input #from type="date" name="from" value=(query.from.trim());
                }
                div.filter {
                    label for="to" { "To" }
                    input #to type="date" name="to" value=(query.to.trim());
                }
                div.filter {
                    label for="tag" { "Tag" }
                    select #tag name="tag" {
                        option value="" { "Any tag" }
                        @for own in own_tags {
                            option value=(own) selected[*own == tag] { (own) }
                        }
                        // A tag in the link that the user no longer has stays chosen.
                        @if !tag.is_empty() && !own_tags.contains(&tag) {
                            option value=(tag) selected { (tag) }
                        }
                    }
                }
                div.filter {
                    label for="scope" { "Search in" }
                    select #scope name="scope" {
                        @for (value, name, words) in [
                            (Scope::Everything, "all", "Everything"),
                            (Scope::Transcripts, "transcripts", "Only transcripts"),
                            (Scope::Titles, "titles", "Only titles"),
                        ] {
                            option value=(name) selected[value == scope] { (words) }
                        }
                    }
                }
                div.filter {
                    label for="mode" { "Match" }
                    select #mode name="mode" {
                        @for (value, words) in [
                            (Mode::Words, "The words"),
                            (Mode::Meaning, "The meaning"),
                            (Mode::Both, "Words and meaning"),
                        ] {
                            option value=(value.name()) selected[value == mode(query)] { (words) }
                        }
                    }
                }
                div.filter {
                    label for="sort" { "Sort" }
                    select #sort name="sort" {
                        @for (value, name, words) in [
                            (Sort::Best, "best", "Best match"),
                            (Sort::Newest, "newest", "Newest first"),
                            (Sort::Oldest, "oldest", "Oldest first"),
                        ] {
                            option value=(name) selected[value == sort] { (words) }
                        }
                    }
                }
            }
        }
    }
}

/// "3 results", "1 result", "More than 1,000 results", "20 or more results".
fn count_words(page: &SearchPage) -> String {
    match page.count {
        Some(count) if count.more => format!("More than {} results", thousands(count.value)),
        Some(count) if count.value == 1 => "1 result".to_string(),
        Some(count) => format!("{} results", thousands(count.value)),
        None => format!("{} or more results", page.items.len()),
    }
}

/// 1234 as "1,234".
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn results_list(query: &SearchQuery, q: &str, page: &SearchPage) -> Markup {
    // The results are the suggestion's when the query as typed found nothing.
    let shown = match (&page.suggestion, page.corrected) {
        (Some(suggestion), true) => suggestion.as_str(),
        _ => q,
    };
    html! {
        // Focused after a search (search.js), so that a screen reader starts at the results.
        h2 #results-heading.results-heading tabindex="-1" {
            @if page.items.is_empty() { "No results for “" (q) "”" }
            @else { (count_words(page)) " for “" (shown) "”" }
        }
        @match (&page.suggestion, page.corrected) {
            (Some(suggestion), true) => {
                p.suggestion {
                    "Nothing contains “" (q) "”. Showing results for “"
                    a #suggestion href=(query.href(suggestion, None)) { (suggestion) } "”."
                }
            },
            (Some(suggestion), false) => {
                p.suggestion {
                    "Did you mean "
                    a #suggestion href=(query.href(suggestion, None)) { em { (suggestion) } } "?"
                }
            },
            (None, _) => {},
        }
        @if page.items.is_empty() {
            div.empty { p { "Nothing found for “" (q) "”. Try other words, fewer words or fewer filters." } }
        } @else {
            // The reel plays the moments of every page, not only of this one.
            @if page.items.iter().any(|hit| !hit.moments.is_empty()) {
                p.reel-link {
                    a.button.secondary #play-reel href=(query.reel_href(shown)) { "▶ Play all moments" }
                }
            }
            @if page.partial {
                p.muted.search-note { "No whole words matched; these entries contain the letters you typed." }
            }
            ol.results {
                @for hit in &page.items { li { (result(hit)) } }
            }
            @if let Some(next) = &page.next_cursor {
                nav.pager aria-label="Pages" {
                    a.button.secondary rel="next" href=(query.href(shown, Some(next))) {
                        "More results"
                    }
                }
            }
        }
    }
}

fn result(hit: &SearchHit) -> Markup {
    let journal = &hit.journal.journal;
    let href = format!("/entries/{}", journal.id);
    html! {
        article.result {
            a.thumb href=(href) tabindex="-1" aria-hidden="true" {
                img src={ "/api/v1/journals/" (journal.id) "/thumbnail" } alt="" loading="lazy" width="160" height="90";
                span.duration { (layout::clock(journal.duration.into())) }
            }
            div.result-body {
                h3 { a href=(href) { (journal.title) } }
                p.meta {
                    (layout::date(journal.created_at))
                    @if let Some(location) = &journal.location { " · " (location) }
                }
                // The snippet and the moments are HTML made by the search module: text
                // escaped, matches in <mark>.
                @if !hit.snippet.is_empty() {
                    p.snippet { (layout::trusted(&hit.snippet)) }
                }
                @if !hit.moments.is_empty() {
                    ul.moments aria-label="Moments where it was said" {
                        @for moment in &hit.moments {
                            li {
                                a.moment href={ (href) "?t=" (moment.at) } {
                                    span.ts { "▶ " (layout::clock(moment.at)) }
                                    span.text { (layout::trusted(&moment.highlighted)) }
                                }
                            }
                        }
                    }
                }
                @if !hit.journal.tags.is_empty() {
                    div.card-foot { @for tag in &hit.journal.tags { (layout::tag_link(tag)) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_search_link_keeps_its_filters() {
        let query = SearchQuery {
            from: "2026-01-01".into(),
            tag: "sea walk".into(),
            sort: "oldest".into(),
            ..SearchQuery::default()
        };
        assert_eq!(
            query.href("sister & co", Some("abc")),
            "/search?q=sister+%26+co&from=2026-01-01&tag=sea+walk&sort=oldest&cursor=abc"
        );
    }
}
