//! Reading the model's JSON files, with errors that name the model's folder and the file.

use std::path::Path;

use crate::EmbedError;

/// `file` under the model folder `dir`, parsed as JSON.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    dir: &Path,
    file: &str,
) -> Result<T, EmbedError> {
    let text = std::fs::read_to_string(dir.join(file))
        .map_err(|e| EmbedError::model(dir, format!("{file}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| EmbedError::model(dir, format!("{file}: {e}")))
}
