#!/bin/sh
# Run every test of ipc from scratch: install the packages, then two fresh
# builds, each through ctest, the single test runner:
#   1. AddressSanitizer + UndefinedBehaviorSanitizer: the C tests;
#   2. a plain optimised build: the C tests again, the same tests under
#      valgrind memcheck, the examples, the style check and the installed
#      library (pkg-config and CMake consumers).
# Usage: scripts/test.sh [BUILD_ROOT]   (default: ./build)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-"$here/build"}
jobs=2

"$here/scripts/setup-deps.sh"

# The suite must see the POSIX message queue file system to check it for
# leftovers; mounting it needs root, and is skipped without.
if [ ! -d /dev/mqueue ] || ! mountpoint -q /dev/mqueue 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p /dev/mqueue
        mount -t mqueue none /dev/mqueue 2>/dev/null || true
    fi
fi

run_build() {
    name=$1
    shift
    dir="$root/$name"
    rm -rf "$dir"
    echo "=== $name: configure"
    cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
    echo "=== $name: build"
    cmake --build "$dir" -j "$jobs"
    echo "=== $name: test"
    # --no-tests=error: a runner that finds no test fails.
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs"
}

run_build asan -DIPC_SANITIZE=address,undefined -DIPC_EXAMPLES=OFF
run_build plain -DIPC_VALGRIND=ON
