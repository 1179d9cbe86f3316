-- The last stage: copies what the pipeline made (stdin) to stdout, then
-- runs the same thing as one shell pipeline and exits 1 unless both agree.
local got = io.read("a")
io.write(got)
io.flush()
local sh = assert(io.popen("sh gen.sh | tr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z'"
                           .. " | sort | uniq -c | sort -rn | head -n 10"))
local want = sh:read("a")
sh:close()
if got ~= want or want == "" then
  io.stderr:write("check: the pipeline's output differs from the shell's:\n", want)
  os.exit(1)
end
