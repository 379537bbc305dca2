#!/usr/bin/env bash
# Writes magnetar.pc (pkg-config) from bindings/c/magnetar.pc.in.
#
#   bindings/c/write-pc.sh OUT PREFIX [LIBDIR] [INCLUDEDIR]
#
# For an install under /usr/local:
#   bindings/c/write-pc.sh /usr/local/lib/pkgconfig/magnetar.pc /usr/local
# (LIBDIR defaults to ${prefix}/lib, INCLUDEDIR to ${prefix}/include). bindings/c/tests/run.sh
# writes one for the build tree next to the libraries, in target/<profile>/magnetar.pc.
set -euo pipefail
if [[ $# -lt 2 || $# -gt 4 ]]; then
    echo "usage: $0 OUT PREFIX [LIBDIR] [INCLUDEDIR]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$1"
prefix="$2"
libdir="${3:-\${prefix\}/lib}"
includedir="${4:-\${prefix\}/include}"
# The workspace version, from the [workspace.package] table of the root Cargo.toml.
version="$(awk '/^\[workspace.package\]/{w=1; next} /^\[/{w=0} w && /^version *=/{gsub(/[" ]/, "", $0); sub(/version=/, "", $0); print; exit}' "$root/Cargo.toml")"
if [[ -z "$version" ]]; then
    echo "$0: cannot read the version from $root/Cargo.toml" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" \
    -e "s|@VERSION@|$version|" "$here/magnetar.pc.in" >"$out"
