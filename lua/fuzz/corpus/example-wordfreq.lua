-- A shell-like pipeline: the ten most frequent words of a text, as
--   sh gen.sh | tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | sort | uniq -c | sort -rn | head
-- with every stage a process and every link a pipe. The last stage,
-- check.lua, prints the result and fails unless the shell pipeline above
-- gives the same.
return {
  name = "wordfreq",
  stages = {
    src   = { cmd = {"/bin/sh", "gen.sh"} },
    split = { cmd = "tr -cs 'A-Za-z' '\\n'" },
    lower = { cmd = {"tr", "A-Z", "a-z"} },
    sort  = { cmd = {"sort"} },
    count = { cmd = {"uniq", "-c"} },
    rank  = { cmd = "sort -rn | head -n 10" },
    check = { lua = "check.lua" },
  },
  links = {
    { "src.stdout", "split.stdin" },
    { "split.stdout", "lower.stdin" },
    { "lower.stdout", "sort.stdin" },
    { "sort.stdout", "count.stdin" },
    { "count.stdout", "rank.stdin" },
    { "rank.stdout", "check.stdin" },
  },
}
