#!/bin/sh
# The pipeline's last stage: what it reads must equal expected.txt, the
# sorted CRC-32C of each upper-cased line of input.txt (newline included),
# computed once in Lua. Exits 1 on a difference, so `ipc run` does too.
if diff -u expected.txt - >&2; then
  echo "native: $(wc -l < expected.txt) checksums, as expected.txt says"
else
  echo "native: the output differs from expected.txt (diff above)" >&2
  exit 1
fi
