#!/bin/sh
# The main job: install what is needed, build ipc, and run the end-to-end
# demo: three processes wired by a pipe, a FIFO and a Unix socket, passing
# framed messages, each stage reporting what it did.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build/demo"

"$here/scripts/setup-deps.sh" >/dev/null
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target relay_demo >/dev/null
exec "$build/examples/c/relay_demo" "$@"
