//! Generates `include/magnetar.h` from the C API in `bindings/c` with cbindgen.
//!
//! The header is committed; the test command regenerates it and fails when the
//! committed copy is stale.

use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let crate_dir = root.join("bindings/c");
    println!("cargo:rerun-if-changed=bindings/c/src");
    println!("cargo:rerun-if-changed=bindings/c/cbindgen.toml");
    // A hand edit (or deletion) of the header makes the next build regenerate it, so the
    // staleness check in tests/c/run.sh compares against a fresh generation.
    println!("cargo:rerun-if-changed=include/magnetar.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings/c/cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can parse bindings/c");
    bindings.write_to_file(root.join("include/magnetar.h"));
}
