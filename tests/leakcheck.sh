#!/bin/sh
# Suite-level leak check (RELIABILITY.md 3.5). "snapshot" records the named
# IPC objects on the machine; "compare" fails if the suite added any:
# System V queues, segments and semaphore sets of our uid (ipcs), entries in
# /dev/shm and /dev/mqueue, and test directories in the temp directory.
# Usage: leakcheck.sh snapshot|compare STATEFILE
set -eu

mode=$1
state=$2
tmp=${TMPDIR:-/tmp}
uid=$(id -u)

inventory() {
    # ipcs prints key, id, owner...; keep the ids of objects our uid owns.
    for kind in -q -m -s; do
        ipcs "$kind" -c 2>/dev/null | awk -v k="$kind" -v u="$(id -un)" \
            'NR > 3 && NF >= 5 && ($3 == u || $5 == u) { print "sysv" k " id=" $1 }'
    done
    for dir in /dev/shm /dev/mqueue; do
        [ -d "$dir" ] || continue
        for f in "$dir"/*; do
            [ -e "$f" ] || continue
            [ "$(stat -c %u "$f")" = "$uid" ] && echo "$f"
        done
    done
    for d in "$tmp"/ipc-test-*; do
        [ -e "$d" ] && echo "$d"
    done
    return 0
}

case "$mode" in
snapshot)
    inventory | sort >"$state"
    echo "leakcheck: $(wc -l <"$state") pre-existing object(s) recorded"
    ;;
compare)
    if [ ! -f "$state" ]; then
        echo "leakcheck: no snapshot at $state" >&2
        exit 1
    fi
    now=$(mktemp)
    inventory | sort >"$now"
    new=$(comm -13 "$state" "$now")
    rm -f "$now"
    if [ -n "$new" ]; then
        echo "leakcheck: the test suite left these behind:" >&2
        echo "$new" >&2
        exit 1
    fi
    echo "leakcheck: nothing left behind"
    ;;
*)
    echo "usage: $0 snapshot|compare STATEFILE" >&2
    exit 2
    ;;
esac
