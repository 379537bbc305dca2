#!/usr/bin/env bash
# The one test command: installs what the tests need and runs every suite.
#
#   ./scripts/test.sh
#
# Needs only the Rust toolchain (rustup), Python 3 and a C compiler. Everything else
# (rustfmt/clippy components, a venv with maturin and pytest, valgrind) is installed by
# the suites themselves. Runs every suite even after a failure, then prints a summary and
# exits non-zero if any suite failed. Swift runs only where `swift` is on the PATH.
set -uo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

names=()
results=()

run_suite() {
    local name=$1
    shift
    echo
    echo "=== ${name} ==="
    local start=$SECONDS
    if "$@"; then
        results+=("PASS")
    else
        results+=("FAIL")
    fi
    names+=("${name} ($((SECONDS - start)) s)")
}

ensure_rust_components() {
    for component in rustfmt clippy; do
        if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
            rustup component add "${component}" || return 1
        fi
    done
}

run_suite "rust toolchain components" ensure_rust_components
run_suite "cargo fmt --check" cargo fmt --all --check
run_suite "cargo clippy (workspace, all targets, -D warnings)" \
    cargo clippy --workspace --all-targets -- -D warnings
run_suite "cargo test (workspace)" cargo test --workspace
run_suite "C API (static, dynamic, valgrind, header, exports)" bash "${root}/tests/c/run.sh"
run_suite "Python wheel + pytest" bash "${root}/python/run-tests.sh"

# Swift: the script checks the committed generated bindings everywhere, and runs
# `swift test` only where a Swift toolchain exists (it says SKIPPED otherwise).
swift_note=""
if ! command -v swift >/dev/null 2>&1; then
    swift_note=" (swift test SKIPPED: no Swift toolchain on PATH)"
fi
run_suite "Swift bindings${swift_note}" bash "${root}/swift/run-tests.sh"

echo
echo "=== summary ==="
passed=0
failed=0
for i in "${!names[@]}"; do
    printf '  %-4s %s\n' "${results[$i]}" "${names[$i]}"
    if [ "${results[$i]}" = "PASS" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
skipped=0
if [ -n "${swift_note}" ]; then
    skipped=1
    echo "  Swift: swift test skipped: no Swift toolchain on PATH (generated bindings were still checked)"
fi
echo "suites: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "${failed}" -eq 0 ]
