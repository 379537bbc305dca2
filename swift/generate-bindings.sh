#!/usr/bin/env bash
# Regenerates the Swift bindings from the built library, with uniffi-bindgen-swift in
# library mode (the metadata of both uniffi components, `magnetar` from bindings/uniffi
# and `magnetar_core` from core's `uniffi` feature, is read from libmagnetar itself):
#
#   Sources/Magnetar/magnetar.swift            the Swift API of bindings/uniffi
#   Sources/Magnetar/magnetar_core.swift       core's records and enums (docs/adr/0011)
#   Sources/magnetarFFI/magnetarFFI.h          the C declarations of each component's
#   Sources/magnetarFFI/magnetar_coreFFI.h     scaffolding
#   Sources/magnetarFFI/module.modulemap       the clang module `magnetarFFI` (both headers)
#
# Usage: swift/generate-bindings.sh           regenerate in place
#        swift/generate-bindings.sh --check   fail if the committed files are stale
#
# Needs only the Rust toolchain. Honours CARGO_TARGET_DIR.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "$here/.." && pwd -P)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac

case "$(uname -s)" in
    Darwin) lib="$target_dir/debug/libmagnetar.dylib" ;;
    *) lib="$target_dir/debug/libmagnetar.so" ;;
esac

# Two separate builds on purpose: building the bindgen (uniffi's `cli` feature) in the
# same cargo invocation as the library would unify features into the library.
cargo build --quiet --manifest-path "$root/Cargo.toml" -p magnetar --lib
cargo build --quiet --manifest-path "$root/Cargo.toml" -p uniffi-bindgen --bin uniffi-bindgen-swift

out="$(mktemp -d "${TMPDIR:-/tmp}/magnetar-swift-bindings.XXXXXX")"
trap 'rm -rf -- "$out"' EXIT

# Run from the workspace root: uniffi reads `cargo metadata` to find each crate's
# uniffi.toml.
(
    cd "$root"
    "$target_dir/debug/uniffi-bindgen-swift" \
        --swift-sources --headers --modulemap \
        --module-name magnetarFFI \
        --modulemap-filename module.modulemap \
        "$lib" "$out" >/dev/null
)

# generated file -> committed location (relative to swift/)
files=(
    "magnetar.swift:Sources/Magnetar/magnetar.swift"
    "magnetar_core.swift:Sources/Magnetar/magnetar_core.swift"
    "magnetarFFI.h:Sources/magnetarFFI/magnetarFFI.h"
    "magnetar_coreFFI.h:Sources/magnetarFFI/magnetar_coreFFI.h"
    "module.modulemap:Sources/magnetarFFI/module.modulemap"
)

stale=0
for pair in "${files[@]}"; do
    generated="$out/${pair%%:*}"
    committed="$here/${pair#*:}"
    if [[ ! -f "$generated" ]]; then
        echo "error: uniffi-bindgen-swift did not produce ${pair%%:*}" >&2
        exit 1
    fi
    if [[ "$check" -eq 1 ]]; then
        if ! diff -u "$committed" "$generated" >"$out/diff.txt" 2>&1; then
            echo "stale: swift/${pair#*:}" >&2
            head -n 40 "$out/diff.txt" >&2
            stale=1
        fi
    else
        mkdir -p "$(dirname -- "$committed")"
        cp "$generated" "$committed"
    fi
done

if [[ "$check" -eq 1 ]]; then
    if [[ "$stale" -ne 0 ]]; then
        echo "Swift bindings: STALE. Regenerate them with swift/generate-bindings.sh and commit the result." >&2
        exit 1
    fi
    echo "Swift bindings: up to date"
else
    echo "Swift bindings regenerated in $here/Sources"
fi
