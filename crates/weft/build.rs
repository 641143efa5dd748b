//! Embeds the SQL migrations of `migrations/` (at the workspace root) into the binary, and
//! records where the prebuilt libctranslate2 lives in the binaries that link it.

use std::fmt::Write;
use std::path::Path;

fn main() {
    ctranslate2_runpath();
    // Read at run time: a build script compiled for one checkout may be reused by cargo
    // for another that shares the target folder.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migrations folder exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    let mut code = String::from("&[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        let (number, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {stem} is not named NNNN_name.sql"));
        let version: i64 = number
            .parse()
            .unwrap_or_else(|_| panic!("migration {stem} does not start with a number"));
        writeln!(
            code,
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
            path.canonicalize()
                .expect("migration path")
                .display()
                .to_string()
        )
        .expect("write to string");
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(out, code).expect("write migrations.rs");
}

/// With the `prebuilt` feature, weft-whisper links the libctranslate2 that scripts/install-deps
/// unpacked and names its folder: the binaries and tests of this crate look there at run time
/// (an absolute RUNPATH, so a copy installed elsewhere still finds it), and crates that link
/// weft (weft-bench) read the same folder from `DEP_WEFT_CT2_LIBDIR`.
fn ctranslate2_runpath() {
    if let Ok(dir) = std::env::var("DEP_WEFT_CT2_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:ct2_libdir={dir}");
    }
}
