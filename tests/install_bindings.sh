#!/bin/sh
# The bindings as users install them, each used from a fresh interpreter
# that sees only the installed copy:
#   1. cmake --install: the Python package in the interpreter's
#      site-packages under the prefix, the Lua module at lib/lua/5.4/ipc.so
#      (exporting luaopen_ipc alone, not linked to liblua), the ipc host at
#      bin/ipc with its pure-Lua parts;
#   2. pip install --no-build-isolation (from a copy of the source tree) and
#      pip wheel;
#   3. luarocks make with the rockspec, into a private tree.
# Usage: install_bindings.sh BUILD_DIR SOURCE_DIR PYTHON LUA CMAKE
set -eu

build=$1
src=$2
python=$3
lua=$4
cmake=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/ipc-install-XXXXXX")
trap 'rm -rf "$work"' EXIT

# A pipe round trip, the same program from each installed copy.
py_check='
import os, sys, ipc
where = os.path.realpath(ipc.__file__)
assert where.startswith(os.path.realpath(sys.argv[1])), where
r, w = ipc.pipe()
w.send(b"installed"); assert r.recv(timeout=5) == b"installed"
r.close(); w.close()
print("python ipc", ipc.__version__, "from", os.path.dirname(where))
'
lua_check='
local ipc = require "ipc"
local r, w = ipc.pipe()
assert(w:send("installed")); assert(r:recv(5) == "installed")
r:close(); w:close()
print("lua ipc " .. ipc.version .. " from " .. package.searchpath("ipc", package.cpath))
'

# 1. cmake --install
prefix="$work/prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
init=$(find "$prefix" -path '*/ipc/__init__.py' | head -n 1)
[ -n "$init" ] || { echo "no Python package under $prefix" >&2; exit 1; }
site=$(dirname "$(dirname "$init")")
find "$site/ipc" -name '_core.*.so' | grep -q . ||
    { echo "no _core extension in $site/ipc" >&2; exit 1; }
[ -f "$site/ipc/py.typed" ] || { echo "no py.typed" >&2; exit 1; }
(cd "$work" && PYTHONPATH="$site" PYTHONNOUSERSITE=1 "$python" -c "$py_check" "$site")

mod="$prefix/lib/lua/5.4/ipc.so"
[ -f "$mod" ] || mod=$(find "$prefix" -path '*/lua/5.4/ipc.so' | head -n 1)
[ -f "$mod" ] || { echo "no Lua module under $prefix" >&2; exit 1; }
exports=$(nm -D --defined-only "$mod" | awk '$2 ~ /[TDBR]/ { print $3 }')
[ "$exports" = "luaopen_ipc" ] ||
    { echo "ipc.so exports more than luaopen_ipc:" $exports >&2; exit 1; }
if objdump -p "$mod" | grep NEEDED | grep -q liblua; then
    echo "ipc.so links liblua (it must take Lua from its host)" >&2
    exit 1
fi
(cd "$work" && LUA_CPATH="$(dirname "$mod")/?.so" LUA_PATH="$prefix/share/lua/5.4/?.lua;$prefix/share/lua/5.4/?/init.lua" \
    "$lua" -e "$lua_check")

# The host: bin/ipc runs a script with the module preloaded and finds its
# pure-Lua parts under the prefix (ipc check needs them).
[ -x "$prefix/bin/ipc" ] || { echo "no bin/ipc under $prefix" >&2; exit 1; }
[ -f "$prefix/include/ipc/host.h" ] || { echo "no include/ipc/host.h" >&2; exit 1; }
host_check='
local ipc = require "ipc"
local r, w = ipc.pipe()
assert(w:send("installed")); assert(r:recv(5) == "installed")
r:close(); w:close()
print("ipc host: module " .. ipc.version .. " preloaded")
'
(cd "$work" && env -u IPC_HOST_LUA_PATH "$prefix/bin/ipc" -e "$host_check")
cat >"$work/ok.lua" <<'CFG'
return { stages = { a = { cmd = {"true"} } }, links = {} }
CFG
(cd "$work" && env -u IPC_HOST_LUA_PATH "$prefix/bin/ipc" check "$work/ok.lua")

# The embeddable host: libipc_host.so exports ipc_host_* alone, and a
# program built against it with pkg-config, outside the prefix, runs a
# pipeline whose `lua` stage needs the prefix's bin/ipc.
hostlib=$(find "$prefix" -name 'libipc_host.so.*.*' | head -n 1)
[ -n "$hostlib" ] || { echo "no libipc_host.so under $prefix" >&2; exit 1; }
bad=$(nm -D --defined-only "$hostlib" | awk '$2 ~ /[TDBR]/ { print $3 }' |
      grep -v '^ipc_host_' || true)
[ -z "$bad" ] || { echo "libipc_host.so exports:" $bad >&2; exit 1; }
cat >"$work/gen.lua" <<'LUA'
for i = 1, 3 do io.write("line ", i, "\n") end
LUA
cat >"$work/embed.lua" <<CFG
return {
  stages = {
    gen = { lua = "$work/gen.lua" },
    out = { cmd = {"sh", "-c", "cat > '$work/embed.out'"} },
  },
  links = { { "gen.stdout", "out.stdin" } },
}
CFG
hostlibdir=$(dirname "$hostlib")
# shellcheck disable=SC2046 # the flags are meant to split
PKG_CONFIG_PATH="$hostlibdir/pkgconfig" \
    cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/embed_consumer.c" \
    $(PKG_CONFIG_PATH="$hostlibdir/pkgconfig" pkg-config --cflags --libs ipc-host) \
    -o "$work/embed_consumer"
(cd "$work" && env -u IPC_HOST_LUA_PATH -u IPC_HOST_BIN \
    LD_LIBRARY_PATH="$hostlibdir" "$work/embed_consumer" "$work/embed.lua")
printf 'line 1\nline 2\nline 3\n' | cmp - "$work/embed.out" ||
    { echo "the embedded pipeline wrote something else" >&2; exit 1; }
echo "ipc host: libipc_host.so embedded from outside the prefix ok"

# 2. pip, from a copy of the tree (the build writes into its source)
copy="$work/src"
mkdir -p "$copy"
cp -r "$src/core" "$src/bindings" "$src/python" "$src/setup.py" \
    "$src/pyproject.toml" "$src/README.md" "$copy/"
rm -rf "$copy/core/tests" "$copy/core/fuzz" "$copy/python/tests"
"$python" -m pip install --quiet --no-build-isolation --no-deps \
    --no-index --target "$work/pip" "$copy" 2>&1 |
    grep -v 'Running pip as the .root. user' || true
(cd "$work" && PYTHONPATH="$work/pip" PYTHONNOUSERSITE=1 "$python" -c "$py_check" "$work/pip")
"$python" -m pip wheel --quiet --no-build-isolation --no-deps --no-index \
    --wheel-dir "$work/wheels" "$copy" 2>&1 |
    grep -v 'Running pip as the .root. user' || true
ls "$work"/wheels/ipc-*.whl >/dev/null ||
    { echo "pip wheel made no wheel" >&2; exit 1; }
echo "pip: install and wheel ok ($(basename "$work"/wheels/ipc-*.whl))"

# 3. luarocks make, into a private tree
if command -v luarocks >/dev/null 2>&1; then
    rock="$work/rock"
    mkdir -p "$rock"
    cp -r "$src/core" "$src/lua" "$src/cmake" "$src/CMakeLists.txt" "$src"/*.rockspec \
        "$src/README.md" "$rock/"
    (cd "$rock" && luarocks --lua-version 5.4 --tree "$work/tree" make \
        ipc-*.rockspec >"$work/luarocks.log" 2>&1) ||
        { cat "$work/luarocks.log" >&2; exit 1; }
    (cd "$work" && LUA_CPATH="$work/tree/lib/lua/5.4/?.so" "$lua" -e "$lua_check")
    echo "luarocks: make ok"
else
    echo "luarocks: not installed, skipped (scripts/setup-deps.sh installs it)"
fi
