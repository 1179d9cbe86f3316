#!/bin/sh
# Generates the text wordfreq counts: a fixed paragraph, 200 times.
i=0
while [ "$i" -lt 200 ]; do
  printf '%s\n' "The quick brown fox jumps over the lazy dog." \
    "A pipe is a stream of bytes; a queue is a stream of messages." \
    "The host wires the stages, the stages do the work."
  i=$((i + 1))
done
