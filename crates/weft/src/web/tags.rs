//! The user's tags (`/tags`): each with how many entries carry it, a link to the timeline
//! filtered by it, and a form to rename it. Renaming onto another existing tag merges the
//! two, which cannot be undone, so that takes a second step that says so.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, Frame, Nav};
use super::session::{Posted, WebError};
use super::viewer::{encode_component, Viewer};
use crate::api::ApiContext;
use crate::api::ApiError;
use crate::db::tags::TagCount;
use crate::domain::{Tag, TagError, MAX_TAG_CHARS};
use crate::journals::JournalError;

/// Query of the tags page: the order, and what a rename just did.
#[derive(Debug, Default, Deserialize)]
pub struct TagsQuery {
    sort: Option<String>,
    renamed: Option<String>,
    merged: Option<String>,
}

/// The rename form: the tag, its new name, and `confirm=yes` once a merge was confirmed.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    from: String,
    #[serde(default)]
    to: String,
    confirm: Option<String>,
    /// The order the page was in, kept across the form.
    sort: Option<String>,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Count,
    Name,
}

impl Sort {
    /// Most used first unless the name order was asked for; anything else is ignored.
    fn parse(raw: Option<&str>) -> Sort {
        match raw {
            Some("name") => Sort::Name,
            _ => Sort::Count,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Sort::Count => "count",
            Sort::Name => "name",
        }
    }

    fn apply(self, tags: &mut [TagCount]) {
        match self {
            // The service already orders by count, then name.
            Sort::Count => {}
            Sort::Name => tags.sort_by(|a, b| a.tag.cmp(&b.tag)),
        }
    }
}

/// A message for the page, shown in the row of `tag` when it has one, else above the list.
struct Feedback {
    tag: Option<String>,
    ok: bool,
    message: String,
    /// The name typed into that row, shown again.
    typed: Option<String>,
}

/// GET /tags.
pub async fn page(
    State(context): State<ApiContext>,
    viewer: Viewer,
    Query(query): Query<TagsQuery>,
) -> Result<Markup, WebError> {
    let sort = Sort::parse(query.sort.as_deref());
    let tags = counts(&context, &viewer, sort).await?;
    let has = |name: &str| tags.iter().any(|t| t.tag == name);
    // Only a tag the user really has is named back, so a crafted link cannot put words on
    // the page.
    let feedback = match (&query.renamed, &query.merged) {
        (Some(to), _) if has(to) => Some((to, format!("Renamed. The tag is now “{to}”."))),
        (_, Some(to)) if has(to) => Some((to, format!("Merged into “{to}”."))),
        _ => None,
    }
    .map(|(to, message)| Feedback {
        tag: Some(to.clone()),
        ok: true,
        message,
        typed: None,
    });
    Ok(render(&viewer, &tags, sort, feedback.as_ref()))
}

async fn counts(
    context: &ApiContext,
    viewer: &Viewer,
    sort: Sort,
) -> Result<Vec<TagCount>, WebError> {
    let mut tags = context
        .journals()
        .tag_counts(viewer.current.user.id)
        .await
        .map_err(ApiError::from)?;
    sort.apply(&mut tags);
    Ok(tags)
}

fn render(viewer: &Viewer, tags: &[TagCount], sort: Sort, feedback: Option<&Feedback>) -> Markup {
    let in_row = |tag: &str| feedback.filter(|f| f.tag.as_deref() == Some(tag));
    let above = feedback.filter(|f| {
        f.tag
            .as_deref()
            .is_none_or(|t| !tags.iter().any(|c| c.tag == t))
    });
    layout::page(
        Frame {
            title: "Tags",
            viewer: Some(viewer),
            nav: Nav::Tags,
            scripts: &[],
        },
        html! {
            div.page-head {
                div {
                    h1 { "Tags" }
                    @if !tags.is_empty() {
                        p.muted.tags-intro {
                            "Renaming a tag changes it on every entry. Give it the name of another "
                            "of your tags to merge the two: the entries then carry only that one."
                        }
                    }
                }
                @if tags.len() > 1 { (sort_links(sort)) }
            }
            @if let Some(f) = above { (layout::notice(f.ok, &f.message)) }
            @if tags.is_empty() {
                (empty())
            } @else {
                ul.tag-list {
                    @for (i, tag) in tags.iter().enumerate() {
                        li { (row(viewer, i, tag, sort, in_row(&tag.tag))) }
                    }
                }
            }
        },
    )
}

fn sort_links(sort: Sort) -> Markup {
    let current = |s: Sort| (sort == s).then_some("page");
    html! {
        nav.tag-sort aria-label="Sort tags" {
            span.muted { "Sort by" }
            a href="/tags?sort=count" aria-current=[current(Sort::Count)] { "Most used" }
            a href="/tags?sort=name" aria-current=[current(Sort::Name)] { "Name" }
        }
    }
}

fn empty() -> Markup {
    html! {
        div.empty {
            h2 { "No tags yet" }
            p {
                "Tag an entry when you make it, or later under “Edit details” on its page. "
                "Your tags show up here with how many entries carry each."
            }
            a.button.secondary href="/" { "Go to your timeline" }
        }
    }
}

fn entries(count: i64) -> String {
    if count == 1 {
        "1 entry".to_string()
    } else {
        format!("{count} entries")
    }
}

fn row(
    viewer: &Viewer,
    i: usize,
    tag: &TagCount,
    sort: Sort,
    feedback: Option<&Feedback>,
) -> Markup {
    let input = format!("rename-{i}");
    let error = feedback.filter(|f| !f.ok).map(|_| format!("{input}-error"));
    let typed = feedback
        .and_then(|f| f.typed.as_deref())
        .unwrap_or(&tag.tag);
    html! {
        div.tag-row {
            p.tag-name {
                (layout::tag_link(&tag.tag))
                " "
                a.muted.tag-count href={ "/?tag=" (encode_component(&tag.tag)) } {
                    (entries(tag.count))
                    span.visually-hidden { " tagged " (tag.tag) }
                }
            }
            form.tag-rename method="post" action="/tags/rename" {
                (layout::csrf_field(viewer))
                input type="hidden" name="from" value=(tag.tag);
                input type="hidden" name="sort" value=(sort.as_str());
                label.visually-hidden for=(input) { "New name for “" (tag.tag) "”" }
                input #(input) name="to" type="text" value=(typed) required
                    maxlength=(MAX_TAG_CHARS) autocapitalize="none" spellcheck="false"
                    aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[error.as_deref()];
                button.secondary.small type="submit" {
                    "Rename" span.visually-hidden { " “" (tag.tag) "”" }
                }
            }
            @if let Some(f) = feedback {
                div.tag-feedback id=[error.as_deref()] { (layout::notice(f.ok, &f.message)) }
            }
        }
    }
}

/// The second step of a merge: what it does, and a button that does it.
fn confirm_page(viewer: &Viewer, from: &TagCount, to: &TagCount, sort: Sort) -> Markup {
    layout::page(
        Frame {
            title: "Merge tags?",
            viewer: Some(viewer),
            nav: Nav::Tags,
            scripts: &[],
        },
        html! {
            section.card.narrow.tag-merge aria-labelledby="merge-heading" {
                h1 #merge-heading { "Merge “" (from.tag) "” into “" (to.tag) "”?" }
                p {
                    "“" (to.tag) "” is already one of your tags. Renaming “" (from.tag) "” to it "
                    "merges the two: the " (entries(from.count)) " tagged “" (from.tag) "”"
                    @if from.count == 1 { " is" } @else { " are" }
                    " tagged “" (to.tag) "” instead (" (entries(to.count))
                    @if to.count == 1 { " carries" } @else { " carry" }
                    " it now), and "
                    "“" (from.tag) "” is gone. This cannot be undone."
                }
                form method="post" action="/tags/rename" {
                    (layout::csrf_field(viewer))
                    input type="hidden" name="from" value=(from.tag);
                    input type="hidden" name="to" value=(to.tag);
                    input type="hidden" name="sort" value=(sort.as_str());
                    input type="hidden" name="confirm" value="yes";
                    div.tag-merge-actions {
                        button.primary type="submit" { "Merge the tags" }
                        a.button.secondary href={ "/tags?sort=" (sort.as_str()) } { "Cancel" }
                    }
                }
            }
        },
    )
}

/// Why a rename was refused, in words for the page.
fn refusal(status: StatusCode, message: impl Into<String>) -> (StatusCode, String) {
    (status, message.into())
}

fn missing(from: &str) -> (StatusCode, String) {
    let message = if from.is_empty() {
        "Pick a tag from the list to rename it.".to_string()
    } else {
        format!(
            "None of your entries carries the tag “{from}”; it may have been renamed already. \
             Pick a tag from the list."
        )
    };
    refusal(StatusCode::NOT_FOUND, message)
}

fn bad_name(error: &TagError) -> (StatusCode, String) {
    let message = match error {
        TagError::TooLong(_) => {
            format!("A tag has at most {MAX_TAG_CHARS} characters; type a shorter name.")
        }
        _ => "A tag cannot contain a comma or a control character; type a name without them."
            .to_string(),
    };
    refusal(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// What the rename form asks for, checked against the user's tags.
enum Step {
    Refuse(StatusCode, String),
    Confirm {
        from: TagCount,
        to: TagCount,
    },
    Rename {
        from: String,
        to: String,
        merge: bool,
    },
}

fn decide(tags: &[TagCount], form: &RenameForm) -> Step {
    let find = |name: &str| tags.iter().find(|t| t.tag == name);
    let from = match Tag::parse(&form.from) {
        Ok(Some(tag)) => tag.into_string(),
        _ => {
            let (status, message) = missing(form.from.trim());
            return Step::Refuse(status, message);
        }
    };
    let Some(from_count) = find(&from) else {
        let (status, message) = missing(&from);
        return Step::Refuse(status, message);
    };
    let to = match Tag::parse(&form.to) {
        Ok(Some(tag)) => tag.into_string(),
        Ok(None) => {
            return Step::Refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Type a new name for “{from}”."),
            )
        }
        Err(error) => {
            let (status, message) = bad_name(&error);
            return Step::Refuse(status, message);
        }
    };
    if to == from {
        return Step::Refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The tag is already called “{from}”; type a different name to rename it."),
        );
    }
    match find(&to) {
        Some(to_count) if form.confirm.as_deref() != Some("yes") => Step::Confirm {
            from: from_count.clone(),
            to: to_count.clone(),
        },
        target => Step::Rename {
            from,
            to,
            merge: target.is_some(),
        },
    }
}

/// POST /tags/rename: renames, asks first before a merge, or shows the page again with what
/// to fix (and nothing changed).
pub async fn rename(
    State(context): State<ApiContext>,
    posted: Posted<RenameForm>,
) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let sort = Sort::parse(form.sort.as_deref());
    let tags = counts(&context, &viewer, sort).await?;
    let (from, to, merge) = match decide(&tags, &form) {
        Step::Refuse(status, message) => {
            return Ok(refused(&viewer, &tags, sort, &form, status, message));
        }
        Step::Confirm { from, to } => {
            return Ok(confirm_page(&viewer, &from, &to, sort).into_response());
        }
        Step::Rename { from, to, merge } => (from, to, merge),
    };
    let renamed = context
        .journals()
        .rename_tag(viewer.current.user.id, &from, &to)
        .await;
    match renamed {
        Ok((tag, _)) => {
            let done = if merge { "merged" } else { "renamed" };
            let target = format!(
                "/tags?sort={}&{done}={}",
                sort.as_str(),
                encode_component(&tag)
            );
            Ok(Redirect::to(&target).into_response())
        }
        // Another tab renamed it in the meantime.
        Err(JournalError::TagNotFound) => {
            let (status, message) = missing(&from);
            Ok(refused(&viewer, &tags, sort, &form, status, message))
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// The page again, with the message in the row of the tag the form was for.
fn refused(
    viewer: &Viewer,
    tags: &[TagCount],
    sort: Sort,
    form: &RenameForm,
    status: StatusCode,
    message: String,
) -> Response {
    let feedback = Feedback {
        tag: Some(form.from.clone()),
        ok: false,
        message,
        typed: Some(form.to.clone()),
    };
    (status, render(viewer, tags, sort, Some(&feedback))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> Vec<TagCount> {
        [("walk", 3), ("family", 2)]
            .iter()
            .map(|(tag, count)| TagCount {
                tag: tag.to_string(),
                count: *count,
            })
            .collect()
    }

    fn form(from: &str, to: &str, confirm: bool) -> RenameForm {
        RenameForm {
            from: from.into(),
            to: to.into(),
            confirm: confirm.then(|| "yes".into()),
            sort: None,
        }
    }

    #[test]
    fn a_new_name_renames_and_a_taken_one_asks_before_merging() {
        let tags = tags();
        assert!(matches!(
            decide(&tags, &form("walk", " Hike ", false)),
            Step::Rename { ref to, merge: false, .. } if to == "hike"
        ));
        assert!(matches!(
            decide(&tags, &form("walk", "Family", false)),
            Step::Confirm { ref to, .. } if to.tag == "family"
        ));
        assert!(matches!(
            decide(&tags, &form("walk", "family", true)),
            Step::Rename { merge: true, .. }
        ));
    }

    #[test]
    fn bad_names_and_unknown_tags_are_refused_with_a_sentence() {
        let tags = tags();
        let refused = |from: &str, to: &str| match decide(&tags, &form(from, to, true)) {
            Step::Refuse(status, message) => (status.as_u16(), message),
            _ => panic!("{from} → {to} was not refused"),
        };
        assert_eq!(refused("swim", "sea").0, 404);
        assert_eq!(refused("", "sea").0, 404);
        assert_eq!(refused("walk", "  ").0, 422);
        assert_eq!(refused("walk", "a,b").0, 422);
        assert_eq!(refused("walk", &"x".repeat(51)).0, 422);
        let (status, message) = refused("walk", "WALK");
        assert_eq!(status, 422);
        assert!(
            message.starts_with("The tag is already called"),
            "{message}"
        );
    }

    #[test]
    fn the_name_order_is_alphabetical_and_anything_else_is_most_used_first() {
        let mut list = tags();
        Sort::parse(Some("name")).apply(&mut list);
        assert_eq!(list[0].tag, "family");
        assert_eq!(Sort::parse(Some("bogus")), Sort::Count);
    }
}
