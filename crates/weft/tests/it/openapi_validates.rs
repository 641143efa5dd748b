//! The OpenAPI document that `weft openapi` prints (the one served at
//! /api/v1/openapi.json) passes an independent OpenAPI 3.1 validator: `openapi-spec-validator`
//! from PyPI, which `scripts/install-deps` installs into a virtual environment at
//! `$WEFT_TOOLS_DIR/venv` (default `~/.cache/weft/tools/venv`). Without that environment
//! the test fails and says how to make it; it never skips.

use std::process::Command;

use crate::common::{self, cli::output_text};

#[test]
fn the_openapi_document_passes_an_openapi_3_1_validator() {
    let python = common::tools_dir().join("venv/bin/python");
    let missing = format!(
        "the OpenAPI validator is not installed: run scripts/install-deps, which creates the \
         virtual environment {} with openapi-spec-validator (set WEFT_TOOLS_DIR to use \
         another folder, for the script and this test alike)",
        python.parent().unwrap().parent().unwrap().display()
    );
    assert!(
        python.is_file(),
        "{missing} ({} does not exist)",
        python.display()
    );

    // A scratch folder as the working directory of both programs, so that neither reads a
    // `.env` of the checkout.
    let scratch = tempfile::tempdir().unwrap();
    let printed = Command::new(common::weft_bin())
        .arg("openapi")
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(
        printed.status.success(),
        "`weft openapi` failed ({}):\n{}",
        printed.status,
        output_text(&printed)
    );
    let document: serde_json::Value =
        serde_json::from_slice(&printed.stdout).expect("`weft openapi` prints a JSON document");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "the document declares OpenAPI {}, not 3.1",
        document["openapi"]
    );
    let file = scratch.path().join("openapi.json");
    std::fs::write(&file, &printed.stdout).unwrap();

    let checked = Command::new(&python)
        .args([
            "-m",
            "openapi_spec_validator",
            "--schema",
            "3.1",
            "--validation-errors",
            "all",
        ])
        .arg(&file)
        .current_dir(scratch.path())
        .output()
        .unwrap();
    let report = output_text(&checked);
    assert!(
        !report.contains("No module named openapi_spec_validator"),
        "{missing}:\n{report}"
    );
    assert!(
        checked.status.success(),
        "openapi-spec-validator rejects the document of `weft openapi` ({}):\n{report}",
        checked.status
    );
}
