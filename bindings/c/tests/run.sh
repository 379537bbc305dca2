#!/usr/bin/env bash
# Magnetar's C API tests: the entry point the project's test command calls.
#
#   bindings/c/tests/run.sh            (from anywhere; honours CARGO_TARGET_DIR)
#   MGN_C_TESTS=test_pg_store bindings/c/tests/run.sh   (only the tests matching that glob)
#
# 1. builds libmagnetar (cargo build -p magnetar, debug: valgrind reads it best), and
#    fails if the committed include/magnetar.h differs from a fresh generation;
# 2. checks that libmagnetar.so exports only mgn_ functions and the uniffi scaffolding, and
#    every function the header declares;
# 3. writes target/<profile>/magnetar.pc for the build tree and checks it with pkg-config;
# 4. compiles every bindings/c/tests/test_*.c twice (static libmagnetar.a, shared libmagnetar.so)
#    with -std=c11 -Wall -Wextra -Werror -pedantic, runs both, then runs both under
#    valgrind --leak-check=full --error-exitcode=1;
# 5. prints "c: N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root" || exit 2
target="${CARGO_TARGET_DIR:-$root/target}"
profile=debug
libdir="$target/$profile"
bindir="$target/c-tests"
mkdir -p "$bindir"
cc="${CC:-cc}"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -O0)
static_libs=(-lpthread -ldl -lm)

passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }
finish() {
    if ((failed > 0)); then
        echo "failures:"
        printf '  %s\n' "${failures[@]}"
    fi
    echo "c: $passed passed, $failed failed"
    ((failed == 0))
    exit $?
}

# --- 1. the library and the header -------------------------------------------------------
echo "== cargo build -p magnetar ($profile)"
if ! cargo build -p magnetar; then
    fail "cargo build -p magnetar"
    finish
fi
for lib in libmagnetar.a libmagnetar.so; do
    if [[ ! -f "$libdir/$lib" ]]; then
        fail "$libdir/$lib was not built"
        finish
    fi
done

if bash "$root/bindings/c/generate-header.sh" --check; then
    pass "include/magnetar.h is up to date"
else
    fail "include/magnetar.h is stale"
    echo "     A fresh generation from bindings/c differs from the committed header. Run" \
        "bindings/c/generate-header.sh and commit the result (change the Rust doc comments" \
        "or bindings/c/cbindgen.toml, never the header by hand)."
fi

# The header on its own, in the C dialects hosts use and, when a C++ compiler is around,
# as C++ (cbindgen's cpp_compat guards).
hdr_dir="$bindir/header-check"
mkdir -p "$hdr_dir"
printf '#include "magnetar.h"\nint main(void) { return mgn_version() == 0; }\n' >"$hdr_dir/h.c"
for std in c99 c11 c2x; do
    if "$cc" -std="$std" -Wall -Wextra -Werror -pedantic -I"$root/include" -fsyntax-only "$hdr_dir/h.c"; then
        pass "magnetar.h compiles alone as $std"
    else
        fail "magnetar.h does not compile alone as $std"
    fi
done
if command -v c++ >/dev/null 2>&1; then
    printf '#include "magnetar.h"\nint main() { return mgn_version() == nullptr; }\n' >"$hdr_dir/h.cpp"
    if c++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$root/include" -fsyntax-only "$hdr_dir/h.cpp"; then
        pass "magnetar.h compiles alone as C++17"
    else
        fail "magnetar.h does not compile alone as C++17"
    fi
fi

# --- 2. exported symbols ------------------------------------------------------------------
echo "== symbols exported by libmagnetar.so"
exports="$(nm -D --defined-only "$libdir/libmagnetar.so" | awk '{print $NF}')"
# mgn_*: the C API. The rest is the uniffi scaffolding the Swift layer calls: of the
# uniffi layer (magnetar_uniffi) and of core's records and enums (magnetar_core, its
# `uniffi` feature, docs/adr/0011).
unexpected="$(grep -Ev '^(mgn_|(ffi|uniffi)_magnetar_(uniffi|core)_|UNIFFI_META_)' <<<"$exports" || true)"
if [[ -z "$unexpected" ]]; then
    pass "libmagnetar.so exports only mgn_ and uniffi symbols ($(grep -c '^mgn_' <<<"$exports") mgn_ functions)"
else
    fail "libmagnetar.so exports unexpected symbols"
    head -n 20 <<<"$unexpected" | sed 's/^/     /'
fi
declared="$(grep -oE '\bmgn_[a-z0-9_]+\(' include/magnetar.h | tr -d '(' | sort -u)"
missing="$(comm -23 <(echo "$declared") <(grep '^mgn_' <<<"$exports" | sort -u))"
if [[ -z "$missing" ]]; then
    pass "every function declared in magnetar.h is exported ($(wc -l <<<"$declared") functions)"
else
    fail "functions declared in magnetar.h but not exported: ${missing//$'\n'/ }"
fi
missing_static="$(comm -23 <(echo "$declared") <(nm --defined-only "$libdir/libmagnetar.a" 2>/dev/null | awk '$2 == "T" {print $3}' | grep '^mgn_' | sort -u))"
if [[ -z "$missing_static" ]]; then
    pass "every function declared in magnetar.h is defined in libmagnetar.a"
else
    fail "functions declared in magnetar.h but not in libmagnetar.a: ${missing_static//$'\n'/ }"
fi

# --- 3. pkg-config ------------------------------------------------------------------------
echo "== magnetar.pc"
pc="$libdir/magnetar.pc"
if bindings/c/write-pc.sh "$pc" "$root" "$libdir" "$root/include"; then
    pass "wrote $pc"
else
    fail "bindings/c/write-pc.sh"
fi
dyn_cflags=(-I"$root/include")
dyn_libs=(-L"$libdir" -lmagnetar)
if command -v pkg-config >/dev/null 2>&1; then
    export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    if pkg-config --validate magnetar && [[ "$(pkg-config --modversion magnetar)" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] \
        && pkg-config --static --libs magnetar | grep -q -- '-lm'; then
        read -r -a dyn_cflags <<<"$(pkg-config --cflags magnetar)"
        read -r -a dyn_libs <<<"$(pkg-config --libs magnetar)"
        pass "pkg-config accepts magnetar.pc (version $(pkg-config --modversion magnetar)); shared builds use its flags"
    else
        fail "pkg-config rejects $pc"
    fi
else
    echo "     pkg-config is not installed: magnetar.pc written but not checked"
fi

# --- 4. the C programs ----------------------------------------------------------------------
valgrind_ok=1
if ! command -v valgrind >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing valgrind (apt-get)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind) >/dev/null
    fi
    if ! command -v valgrind >/dev/null 2>&1; then
        valgrind_ok=0
        fail "valgrind is not installed and could not be installed (need root and apt-get): the C tests cannot be checked for leaks"
    fi
fi

export MGN_REPO_ROOT="$root"
shopt -s nullglob
# MGN_C_TESTS=test_pg_store (a glob of names) runs only those tests (the PostgreSQL suite
# of scripts/test.sh does, with a server).
# shellcheck disable=SC2206 # the glob is meant to expand
sources=(bindings/c/tests/${MGN_C_TESTS:-test_*}.c)
if ((${#sources[@]} == 0)); then
    fail "no bindings/c/tests/test_*.c found"
fi
for src in "${sources[@]}"; do
    name="$(basename "$src" .c)"
    echo "== $name"
    static_bin="$bindir/$name-static"
    dynamic_bin="$bindir/$name-dynamic"
    built=()
    if "$cc" "${cflags[@]}" -I"$root/include" "$src" "$libdir/libmagnetar.a" "${static_libs[@]}" \
        -o "$static_bin"; then
        pass "$name: compiles and links statically"
        built+=(static)
    else
        fail "$name: static build"
    fi
    if "$cc" "${cflags[@]}" "${dyn_cflags[@]}" "$src" "${dyn_libs[@]}" -lpthread -o "$dynamic_bin"; then
        if readelf -d "$dynamic_bin" | grep -q 'NEEDED.*libmagnetar\.so'; then
            pass "$name: compiles and links against libmagnetar.so"
            built+=(dynamic)
        else
            fail "$name: the shared build does not load libmagnetar.so"
        fi
    else
        fail "$name: shared build"
    fi
    for kind in "${built[@]}"; do
        bin="$bindir/$name-$kind"
        if LD_LIBRARY_PATH="$libdir" "$bin"; then
            pass "$name ($kind)"
        else
            fail "$name ($kind)"
        fi
        if ((valgrind_ok)); then
            if MGN_UNDER_VALGRIND=1 LD_LIBRARY_PATH="$libdir" valgrind -q --leak-check=full \
                --error-exitcode=1 --suppressions="$root/bindings/c/tests/valgrind.supp" "$bin"; then
                pass "$name ($kind, valgrind)"
            else
                fail "$name ($kind, valgrind)"
            fi
        fi
    done
done

finish
