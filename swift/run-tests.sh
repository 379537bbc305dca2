#!/usr/bin/env bash
# Swift package checks, called by scripts/test.sh:
#   1. the committed generated bindings match the library (generate-bindings.sh --check);
#   2. shellcheck on swift/*.sh, when shellcheck is installed;
#   3. `swift test` against the locally built static library, when `swift` is on the PATH;
#      otherwise says so, skips it, and parses the hand-written Swift with tree-sitter.
# Exits non-zero on any failure. The Rust tests of the uniffi layer run in `cargo test`.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "$here/.." && pwd -P)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

echo "--- generated bindings"
"$here/generate-bindings.sh" --check

echo "--- shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck "$here"/*.sh
    echo "shellcheck: OK"
else
    echo "shellcheck: SKIPPED (not installed)"
fi

echo "--- swift test"
if ! command -v swift >/dev/null 2>&1; then
    echo "swift: SKIPPED (no Swift toolchain on PATH)"
    # Without a compiler, at least parse the hand-written Swift (tree-sitter, pinned,
    # in a venv under the target directory).
    echo "--- swift syntax (tree-sitter)"
    venv="$target_dir/swift-syntax-venv"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import tree_sitter, tree_sitter_swift" 2>/dev/null; then
        if ! { python3 -m venv "$venv" &&
            "$venv/bin/pip" install --quiet --disable-pip-version-check \
                tree-sitter==0.26.1 tree-sitter-swift==0.7.4; }; then
            echo "swift syntax: SKIPPED (could not install tree-sitter into $venv)"
            exit 0
        fi
    fi
    # (A read loop rather than mapfile, which macOS's bash 3.2 lacks.)
    sources=("$here/Package.swift")
    while IFS= read -r file; do
        sources+=("$file")
    done < <(find "$here/Sources" "$here/Tests" -name '*.swift' ! -name magnetar.swift | sort)
    "$venv/bin/python" "$here/scripts/check_swift_syntax.py" "${sources[@]}"
    exit 0
fi

cargo build --quiet --manifest-path "$root/Cargo.toml" -p magnetar --lib
# A directory holding only the static library, so `-lmagnetar` cannot resolve to the
# shared one.
lib_dir="$target_dir/swift-static-lib"
mkdir -p "$lib_dir"
cp "$target_dir/debug/libmagnetar.a" "$lib_dir/libmagnetar.a"

(
    cd "$here"
    MAGNETAR_LIB_DIR="$lib_dir" MAGNETAR_REPO_ROOT="$root" swift test
)
echo "swift: OK"
