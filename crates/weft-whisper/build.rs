//! Finds the prebuilt libctranslate2 that the default build links (feature `prebuilt`), and
//! checks that exactly one way of getting CTranslate2 is chosen.
//!
//! `scripts/install-deps` unpacks PyPI's ctranslate2 wheel into a folder (see there): the
//! runtime libraries at its top, and in `link/` what the linker needs besides. The folder is
//! `WEFT_CT2_DIR` when set, else the first of `/usr/local/lib/weft/ctranslate2-VERSION` (as
//! root) and `~/.local/lib/weft/ctranslate2-VERSION` that holds the library. Binaries that
//! link it record that folder as their run-time search path: this crate's own tests and
//! examples here, and the crates that depend on it through `DEP_WEFT_CT2_LIBDIR`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::exit;

/// The CTranslate2 release whose headers ct2rs compiles its bridge against; the library must
/// be the same release.
const CT2_VERSION: &str = "4.8.4";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WEFT_CT2_DIR");
    println!("cargo:rerun-if-env-changed=HOME");
    let prebuilt = env::var_os("CARGO_FEATURE_PREBUILT").is_some();
    let source = env::var_os("CARGO_FEATURE_SOURCE").is_some();
    match (prebuilt, source) {
        (true, false) => link_prebuilt(),
        (false, true) => {}
        (true, true) => fail(
            "weft-whisper: both `prebuilt` (the default) and a source build of CTranslate2 \
             (`source`, `dnnl` or `cuda`) are on. Build from source with \
             `--no-default-features`, e.g. `cargo build --release --no-default-features \
             --features dnnl`.",
        ),
        (false, false) => fail(
            "weft-whisper: no CTranslate2 chosen. Use the default feature `prebuilt` (the \
             library from PyPI), or `source`, `dnnl` or `cuda` to compile it.",
        ),
    }
}

fn link_prebuilt() {
    let Some(dir) = candidates().into_iter().find(|dir| has_library(dir)) else {
        let looked: Vec<String> = candidates()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        fail(&format!(
            "weft-whisper: libctranslate2 {CT2_VERSION} is not installed (looked in {}).\n\
             Run `scripts/install-deps` (it fetches it from PyPI), or set WEFT_CT2_DIR to the \
             folder it installed it in. To compile CTranslate2 from source instead: \
             `scripts/install-deps --source-build`, then build with `--no-default-features \
             --features whisper-source` (see crates/weft-whisper/README.md).",
            looked.join(", ")
        ));
    };
    let dir = dir.display();
    // Relinks when the library is installed again.
    println!("cargo:rerun-if-changed={dir}/.weft-wheel");
    println!("cargo:rustc-link-search=native={dir}/link");
    // This package's own tests and examples; dependents read `libdir`.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    println!("cargo:libdir={dir}");
}

fn candidates() -> Vec<PathBuf> {
    if let Some(dir) = env::var_os("WEFT_CT2_DIR").filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = vec![PathBuf::from(format!(
        "/usr/local/lib/weft/ctranslate2-{CT2_VERSION}"
    ))];
    if let Some(home) = env::var_os("HOME") {
        dirs.push(
            Path::new(&home)
                .join(".local/lib/weft")
                .join(format!("ctranslate2-{CT2_VERSION}")),
        );
    }
    dirs
}

fn has_library(dir: &Path) -> bool {
    dir.join("link/libctranslate2.so").is_file()
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    exit(1)
}
