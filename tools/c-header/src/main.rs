//! Generates `include/magnetar.h` from the C API in `bindings/c` with cbindgen.
//!
//! ```text
//! magnetar-c-header            write include/magnetar.h
//! magnetar-c-header --check    exit 1 if the committed header differs from a fresh one
//! ```
//!
//! The header is committed so that C hosts need no Rust toolchain to read it; the C test
//! suite runs `--check` so a stale copy fails CI. Change the Rust doc comments or
//! `bindings/c/cbindgen.toml`, never the header by hand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn generate(root: &Path) -> Result<Vec<u8>, String> {
    let crate_dir = root.join("bindings/c");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("bindings/c/cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen cannot read bindings/c: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: magnetar-c-header [--check] (unknown argument {other:?})");
            return ExitCode::from(2);
        }
    };
    // tools/c-header → the workspace root. `cargo run` sets CARGO_MANIFEST_DIR for the
    // checkout it runs in; the compiled-in path is only the fallback, since a binary built
    // in another checkout (a copied target directory, a second worktree) would otherwise
    // read and write that other checkout's files.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = manifest_dir.join("../..");
    let header = root.join("include/magnetar.h");
    let fresh = match generate(&root) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("magnetar-c-header: {e}");
            return ExitCode::from(2);
        }
    };
    if check {
        let committed = std::fs::read(&header).unwrap_or_default();
        if committed == fresh {
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "include/magnetar.h is stale: run bindings/c/generate-header.sh and commit the result"
        );
        return ExitCode::from(1);
    }
    if let Err(e) = std::fs::write(&header, fresh) {
        eprintln!("magnetar-c-header: cannot write {}: {e}", header.display());
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
