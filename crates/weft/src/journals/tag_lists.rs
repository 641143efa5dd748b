//! A user's tags: a journal's list (replace, add one, remove one) and the user's whole set
//! (counts, rename or merge). A journal's row is locked while its tags change, so that
//! the limit of tags per journal holds under concurrent requests.

use uuid::Uuid;

use super::{JournalError, Journals};
use crate::db::journals::{self, JournalView};
use crate::db::scoped::{self, UserTx};
use crate::db::tags::{self, TagCount};
use crate::domain::{Tag, ValidationError, MAX_TAGS};

impl Journals<'_> {
    /// Replaces a journal's tags (the ones not listed are removed).
    pub async fn set_tags(
        &self,
        user: Uuid,
        id: Uuid,
        raw: &[String],
    ) -> Result<JournalView, JournalError> {
        let list =
            Tag::parse_all(raw.iter().map(String::as_str)).map_err(|e| e.in_field("tags"))?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        lock(&mut tx, id).await?;
        tags::replace(&mut tx, id, &list).await?;
        let view = reload(&mut tx, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds one tag to a journal; one it already has is left alone.
    pub async fn add_tag(
        &self,
        user: Uuid,
        id: Uuid,
        raw: &str,
    ) -> Result<JournalView, JournalError> {
        let tag = one_tag(raw, "tag")?
            .ok_or_else(|| ValidationError::new("tag", "a tag cannot be empty"))?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        lock(&mut tx, id).await?;
        let existing = tags::for_journal(&mut tx, id).await?;
        if !existing.contains(&tag) {
            if existing.len() >= MAX_TAGS {
                return Err(ValidationError::new(
                    "tag",
                    format!("a journal carries at most {MAX_TAGS} tags"),
                )
                .into());
            }
            tags::add(&mut tx, id, std::slice::from_ref(&tag)).await?;
        }
        let view = reload(&mut tx, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Removes one tag from a journal; removing one it does not carry changes nothing.
    pub async fn remove_tag(
        &self,
        user: Uuid,
        id: Uuid,
        raw: &str,
    ) -> Result<JournalView, JournalError> {
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        lock(&mut tx, id).await?;
        // A tag that could never have been stored (too long, a comma) is simply not there.
        if let Ok(Some(tag)) = Tag::parse(raw) {
            tags::remove(&mut tx, id, &tag).await?;
        }
        let view = reload(&mut tx, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The user's tags with how many journals carry each, most used first.
    pub async fn tag_counts(&self, user: Uuid) -> Result<Vec<TagCount>, JournalError> {
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let items = tags::counts_for_user(&mut tx).await?;
        tx.commit().await?;
        Ok(items)
    }

    /// Renames a tag on all the user's journals, merging it into `to` where that exists.
    /// Returns the tag's name now and how many journals carried the old one.
    pub async fn rename_tag(
        &self,
        user: Uuid,
        from: &str,
        to: &str,
    ) -> Result<(String, u64), JournalError> {
        let from = one_tag(from, "tag")?.ok_or(JournalError::TagNotFound)?;
        let to = one_tag(to, "to")?
            .ok_or_else(|| ValidationError::new("to", "the new name cannot be empty"))?;
        let mut tx = scoped::begin_for_user(self.pool, user).await?;
        let journals = tags::rename(&mut tx, &from, &to).await?;
        if journals == 0 {
            return Err(JournalError::TagNotFound);
        }
        tx.commit().await?;
        Ok((to, journals))
    }
}

/// One tag from a request, normalised; `None` when blank.
fn one_tag(raw: &str, field: &str) -> Result<Option<String>, ValidationError> {
    Ok(Tag::parse(raw)
        .map_err(|e| e.in_field(field))?
        .map(Tag::into_string))
}

/// Locks one of the user's journals against concurrent tag changes, or not found.
async fn lock(tx: &mut UserTx, id: Uuid) -> Result<(), JournalError> {
    if journals::lock_for_update(tx, id).await? {
        Ok(())
    } else {
        Err(JournalError::NotFound)
    }
}

async fn reload(tx: &mut UserTx, id: Uuid) -> Result<JournalView, JournalError> {
    journals::view(tx, id).await?.ok_or(JournalError::NotFound)
}
