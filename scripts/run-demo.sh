#!/bin/sh
# The main job: install what is needed, build ipc (the `ipc` host and the
# Python package), and run the flagship pipeline through `ipc run`: a Lua
# producer sends N numbers (default 5000000; `run-demo.sh N` for another)
# as messages over a shared-memory ring to a Python consumer, which checks
# that every one arrived, once and in order, and prints the count and the
# sum. While it runs on a terminal, `ipc run` shows a live status line per
# stage and per link (messages, bytes, rate, queue depth); at the end, a
# summary per stage. The exit status is the pipeline's: 0 only when the
# consumer's check passed. The config is examples/pipelines/ring/ring.lua
# with N in place of 100000.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build/demo"
n=${1:-5000000}
case $n in
    ''|*[!0-9]*|0*) echo "usage: $0 [N]   (N: a positive number of messages)" >&2; exit 2 ;;
esac

"$here/scripts/setup-deps.sh" >/dev/null
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target ipc ipc_python >/dev/null
python=$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' "$build/CMakeCache.txt")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ex="$here/examples/pipelines/ring"
cat > "$work/ring.lua" <<CONFIG
-- examples/pipelines/ring/ring.lua with $n messages
return {
  name = "ring",
  stages = {
    produce = { lua = [[$ex/produce.lua]], args = {"$n"} },
    consume = { python = [[$ex/consume.py]], args = {"$n"} },
  },
  links = {
    { "produce.out", "consume.in", via = "ring", capacity = "1MiB" },
  },
}
CONFIG
echo "ipc run: a Lua producer -> ring -> a Python consumer, $n messages" >&2
IPC_HOST_PYTHON=${python:-/usr/bin/python3} IPC_HOST_PYTHONPATH="$build/python" \
    "$build/bin/ipc" run "$work/ring.lua" && status=0 || status=$?
exit "$status"
