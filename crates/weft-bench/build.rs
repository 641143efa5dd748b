//! The benchmark binary links weft, and with it the prebuilt libctranslate2 when the workspace
//! builds weft with its default features: record the library's folder as the binary's run-time
//! search path, as weft's own build script does for `weft`.

fn main() {
    if let Ok(dir) = std::env::var("DEP_WEFT_CT2_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
