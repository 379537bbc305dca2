#!/usr/bin/env bash
# Swift package checks, called by scripts/test.sh:
#   1. the committed generated bindings match the library (generate-bindings.sh --check);
#   2. `swift build` and `swift test` against the locally built static library, `swift
#      test` again under ThreadSanitizer, then builds and runs the consumer package
#      Examples/LoginFlow (it depends on Magnetar by path, as an app does), when `swift`
#      is on the PATH; otherwise says so, skips them, parses the hand-written Swift with
#      tree-sitter, and exits 77 (skipped, as scripts/test.sh counts it).
# With --postgres, only builds and runs PostgresTests (scripts/test.sh calls it inside
# scripts/with-postgres.sh, whose throwaway server those tests use); without `swift` on
# the PATH it says so and exits 77.
# Exits non-zero (not 77) on any failure. The Rust tests of the uniffi layer run in
# `cargo test`, and scripts/test.sh lints these scripts with every other shell script.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "$here/.." && pwd -P)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

postgres_only=0
case "${1:-}" in
    --postgres) postgres_only=1 ;;
    "") ;;
    *)
        echo "usage: $0 [--postgres]" >&2
        exit 2
        ;;
esac
if [[ "$postgres_only" == 1 ]] && ! command -v swift >/dev/null 2>&1; then
    echo "swift (PostgreSQL): SKIPPED (no Swift toolchain on PATH)"
    exit 77
fi

echo "--- generated bindings"
"$here/generate-bindings.sh" --check

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
            exit 77
        fi
    fi
    # (A read loop rather than mapfile, which macOS's bash 3.2 lacks.)
    sources=("$here/Package.swift")
    while IFS= read -r file; do
        sources+=("$file")
    done < <(find "$here/Sources" "$here/Tests" "$here/Examples" "$here/Benchmarks" -name .build -prune -o -name '*.swift' ! -name magnetar.swift ! -name magnetar_core.swift -print | sort)
    "$venv/bin/python" "$here/scripts/check_swift_syntax.py" "${sources[@]}"
    exit 77
fi

cargo build --quiet --manifest-path "$root/Cargo.toml" -p magnetar --lib
# A directory holding only the static library, so `-lmagnetar` cannot resolve to the
# shared one.
lib_dir="$target_dir/swift-static-lib"
mkdir -p "$lib_dir"
if ! cmp -s "$target_dir/debug/libmagnetar.a" "$lib_dir/libmagnetar.a"; then
    cp "$target_dir/debug/libmagnetar.a" "$lib_dir/libmagnetar.a"
    # SwiftPM does not track a library linked with -l as an input: drop the linked test
    # bundles and the example's executable so that they are linked again against the
    # new archive.
    for build in "$here/.build" "$here/.build-tsan"; do
        if [[ -d "$build" ]]; then
            find "$build" -name '*.xctest' -prune -exec rm -rf {} +
        fi
    done
    if [[ -d "$here/Examples/LoginFlow/.build" ]]; then
        find "$here/Examples/LoginFlow/.build" -type f -name LoginFlow -perm -u+x -delete
    fi
fi

cd "$here"
export MAGNETAR_LIB_DIR="$lib_dir" MAGNETAR_REPO_ROOT="$root"
if [[ "$postgres_only" == 1 ]]; then
    echo "--- swift test --filter PostgresTests (MAGNETAR_TEST_PG_URL ${MAGNETAR_TEST_PG_URL:+set}${MAGNETAR_TEST_PG_URL:-unset})"
    swift test --filter PostgresTests
    echo "swift (PostgreSQL): OK"
    exit 0
fi
echo "--- swift build ($(swift --version 2>/dev/null | head -n 1))"
swift build
echo "--- swift test"
swift test
# The same suite under ThreadSanitizer (its own build directory), so that a data race in
# the Swift layer or the tests fails the run. MAGNETAR_SWIFT_TSAN=0 skips it.
if [[ "${MAGNETAR_SWIFT_TSAN:-1}" != 0 ]]; then
    echo "--- swift test --sanitize=thread"
    swift test --sanitize=thread --scratch-path "$here/.build-tsan"
fi
echo "--- Examples/LoginFlow (a consumer package)"
(cd "$here/Examples/LoginFlow" && swift build && swift run --skip-build LoginFlow)
echo "swift: OK"
