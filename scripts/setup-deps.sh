#!/bin/sh
# Install, on a fresh Debian 12 machine, every package that building ipc
# and running all of its tests need. Installs only what is missing; uses
# sudo when not root. Safe to run again.
set -eu

PACKAGES="
  build-essential cmake pkg-config
  clang-format valgrind
  clang libclang-rt-14-dev
  procps util-linux
  swig libffi-dev
  lua5.4 liblua5.4-dev lua-busted
  python3 python3-dev python3-pytest python3-hypothesis
  python3-setuptools python3-pip python3-wheel python3-sysv-ipc
  socat luarocks
  libcmocka-dev
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "setup-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "setup-deps: need root or sudo to install:$missing" >&2
    exit 1
fi

echo "setup-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$SUDO apt-get install -y -qq --no-install-recommends $missing
