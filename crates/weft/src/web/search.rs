//! Search (`/search?q=`): results with highlighted snippets and the moments the words were
//! said; a moment opens the entry playing from there. Works without JavaScript.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::WebError;
use super::viewer::{encode_component, Viewer};
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::scoped;
use crate::search::{self, SearchHit, SearchPage, SearchRequest};

/// Results on one page.
const PAGE: i64 = 20;

/// Query of the search page.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

/// GET /search.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let q = query.q.trim().to_string();
    let (results, status) = if q.is_empty() {
        (None, StatusCode::OK)
    } else {
        match run(&context, &viewer, &q, query.cursor).await {
            Ok(page) => (Some(Ok(page)), StatusCode::OK),
            Err(error) if error.status().is_client_error() => {
                let status = error.status();
                (Some(Err(error.message().to_string())), status)
            }
            Err(error) => return Err(error.into()),
        }
    };
    let title = if q.is_empty() {
        "Search".to_string()
    } else {
        format!("“{q}”")
    };
    let markup = layout::page(
        Frame {
            title: &title,
            viewer: Some(&viewer),
            nav: Nav::Search,
            scripts: &[],
        },
        html! {
            form.search-box method="get" action="/search" role="search" {
                label.visually-hidden for="q" { "Search your journal" }
                input #q type="search" name="q" value=(q) placeholder="Search what you said, titles, notes, tags"
                    autofocus[q.is_empty()] autocomplete="off" maxlength="256";
                button.primary type="submit" { "Search" }
            }
            @match &results {
                None => {
                    p.muted.hint {
                        "Words, " kbd { "\"exact phrases\"" } ", prefixes like " kbd { "walk*" }
                        ", " kbd { "-exclude" } " and " kbd { "OR" } "."
                    }
                },
                Some(Err(message)) => { (layout::notice(false, message)) },
                Some(Ok(page)) => { (results_list(&q, page)) },
            }
        },
    );
    Ok((status, markup).into_response())
}

async fn run(
    context: &ApiContext,
    viewer: &Viewer,
    q: &str,
    cursor: Option<String>,
) -> Result<SearchPage, ApiError> {
    let request = SearchRequest {
        q: q.to_string(),
        tags: Vec::new(),
        from: None,
        to: None,
        limit: PAGE,
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let user = viewer.current.user.id;
    let mut tx = scoped::begin_for_user_planning_each(&context.pool, user).await?;
    let page = search::search(&mut tx, &request).await?;
    scoped::end_reading(tx);
    Ok(page)
}

fn results_list(q: &str, page: &SearchPage) -> Markup {
    html! {
        @if page.items.is_empty() {
            div.empty { p { "Nothing found for “" (q) "”." } }
        } @else {
            @if page.partial {
                p.muted { "No whole words matched; these entries contain the letters you typed." }
            }
            h1.visually-hidden { "Results for “" (q) "”" }
            ol.results {
                @for hit in &page.items { li { (result(hit)) } }
            }
            @if let Some(next) = &page.next_cursor {
                nav.pager aria-label="Pages" {
                    a.button.secondary rel="next"
                        href={ "/search?q=" (encode_component(q)) "&cursor=" (encode_component(next)) } {
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
                h2 { a href=(href) { (journal.title) } }
                p.meta { (layout::date(journal.created_at)) }
                // The snippet is HTML made by the search module: text escaped, matches in <mark>.
                p.snippet { (layout::trusted(&hit.snippet)) }
                @if !hit.moments.is_empty() {
                    ul.moments aria-label="Moments where it was said" {
                        @for moment in &hit.moments {
                            li {
                                a.moment href={ (href) "?t=" (moment.at) } {
                                    span.ts { "▶ " (layout::clock(moment.at)) }
                                    span.text { (moment.text) }
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
