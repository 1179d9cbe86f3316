#!/bin/sh
# Install the build into a temporary prefix and use it as a C user would:
# a strict C11 program built with pkg-config, the same through CMake's
# find_package(ipc), the SONAME, and the exported symbols (ipc_* only).
# Usage: install_test.sh BUILD_DIR CONSUMER_DIR CC CMAKE
set -eu

build=$1
src=$2
cc=$3
cmake=$4

prefix=$(mktemp -d "${TMPDIR:-/tmp}/ipc-install-XXXXXX")
trap 'rm -rf "$prefix"' EXIT

"$cmake" --install "$build" --prefix "$prefix" >/dev/null
lib=$(find "$prefix" -name 'libipc.so.*.*' | head -n 1)
libdir=$(dirname "$lib")
[ -n "$lib" ] || { echo "no libipc.so installed" >&2; exit 1; }

soname=$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')
[ "$soname" = "libipc.so.0" ] || { echo "SONAME is '$soname'" >&2; exit 1; }
# Every public header of the source tree is installed.
for h in "$src"/../../core/include/ipc/*.h; do
    h=$(basename "$h")
    [ -f "$prefix/include/ipc/$h" ] || { echo "missing include/ipc/$h" >&2; exit 1; }
done

# Only the public API leaves the library: ipc_* functions, no ipc__ helpers.
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ { print $3 }' |
      grep -v '^ipc_' || true)
internal=$(nm -D --defined-only "$lib" | awk '{ print $3 }' | grep '^ipc__' || true)
if [ -n "$bad$internal" ]; then
    echo "unexpected exported symbols:" $bad $internal >&2
    exit 1
fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs ipc)
# shellcheck disable=SC2086 # the flags are meant to split
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror "$src/consumer.c" $flags \
    -o "$prefix/consumer-pc"
LD_LIBRARY_PATH="$libdir" "$prefix/consumer-pc"

"$cmake" -S "$src/cmake_consumer" -B "$prefix/cmake-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" >/dev/null
"$cmake" --build "$prefix/cmake-build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$prefix/cmake-build/consumer"
echo "install: pkg-config and find_package consumers ok ($soname)"
