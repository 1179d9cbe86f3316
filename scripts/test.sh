#!/bin/sh
# Run every test of ipc from scratch: install the packages, then four fresh
# builds, each through ctest, the single test runner:
#   1. AddressSanitizer + UndefinedBehaviorSanitizer: the C tests, load
#      tests scaled down (IPC_TEST_SCALE=10), fuzz corpus replays;
#   2. a plain optimised build: the C tests again, the same tests under
#      valgrind memcheck, the Python binding (pytest) and the Lua module
#      (busted), the examples in C, Python and Lua, the style check, the
#      benchmark smoke runs and the installed library (pkg-config and CMake
#      consumers, the Python package, the Lua module, pip and LuaRocks);
#   3. ThreadSanitizer: the tests whose cases share memory between threads
#      (ring, poller);
#   4. clang + libFuzzer: every fuzz target (frame decoder, ring image, URL
#      parser, the host's config loader and validator) replays its corpus
#      and fuzzes for IPC_FUZZ_SECONDS (20) more.
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

# run_build NAME CTEST_ARGS CMAKE_ARGS...
run_build() {
    name=$1
    ctest_args=$2
    shift 2
    dir="$root/$name"
    rm -rf "$dir"
    echo "=== $name: configure"
    cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
    echo "=== $name: build"
    cmake --build "$dir" -j "$jobs"
    echo "=== $name: test"
    # --no-tests=error: a runner that finds no test fails.
    # shellcheck disable=SC2086 # the filter is several words on purpose
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" \
        $ctest_args
}

# The bindings are built and tested in the plain build: under a sanitizer
# the interpreters would need its runtime preloaded.
nobind="-DIPC_PYTHON=OFF -DIPC_LUA=OFF"
# shellcheck disable=SC2086 # $nobind is two words on purpose
run_build asan "" -DIPC_SANITIZE=address,undefined -DIPC_EXAMPLES=OFF $nobind
run_build plain "" -DIPC_VALGRIND=ON -DPython3_EXECUTABLE=/usr/bin/python3
# shellcheck disable=SC2086
run_build tsan "-R ^core\.(ring|loop)$" -DIPC_SANITIZE=thread \
    -DIPC_EXAMPLES=OFF -DIPC_BENCH=OFF $nobind
# The fuzz build has the Lua module on for the host's config target.
run_build fuzz "-L fuzz" -DCMAKE_C_COMPILER=clang -DIPC_FUZZ=ON \
    -DIPC_EXAMPLES=OFF -DIPC_BENCH=OFF -DIPC_PYTHON=OFF
