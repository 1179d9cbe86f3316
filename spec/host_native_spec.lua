-- spec/host_native_spec.lua: native stages in the host (`native = {lib,
-- fn, sig}`), through the binary (env IPC_HOST_BIN) as a user runs it:
-- the example stage library (env IPC_STAGES_LIB, set by ctest) and libc
-- functions as stages, replicas over a ring, a function that crashes its
-- worker, and the config's errors. What is left behind is read from the
-- machine (H.host_leftovers).
local ipc = require "ipc"
local H = require "helper"

local BIN = os.getenv("IPC_HOST_BIN") or (H.build .. "/bin/ipc")
local STAGES = os.getenv("IPC_STAGES_LIB") or (H.build .. "/examples/native/libipc_stages.so")

local slurp = H.slurp

local write = H.write

local function env()
  local e = H.environ()
  e.IPC_ENDPOINTS = nil
  return e
end


-- Run the binary to its end; returns code, stdout, stderr, its pid.
local function ipc_run(args)
  return H.run_bin(BIN, args, env())
end

local mkdir = H.mkdir

local function lines_of(s)
  local t = {}
  for l in s:gmatch("[^\n]*\n") do t[#t + 1] = l end
  return t
end

-- CRC-32C (Castagnoli, reflected 0x82F63B78) as 8 hex digits: the
-- reference for ipc_stage_crc32c.
local function crc32c(s)
  local crc = 0xffffffff
  for i = 1, #s do
    crc = crc ~ s:byte(i)
    for _ = 1, 8 do
      crc = (crc >> 1) ~ (0x82f63b78 & -(crc & 1))
    end
  end
  return string.format("%08x", ~crc & 0xffffffff)
end

describe("native stages in the host", function()
  after_each(H.cleanup)

  it("has a CRC-32C reference that gives the check value", function()
    assert.equal("e3069283", crc32c("123456789"))
  end)

  it("upper-cases lines from a command to a command, as tr a-z A-Z does", function()
    local dir = mkdir()
    -- a long line makes the stage grow its output buffer (-ENOBUFS)
    local text = "hello world\nMixed Case 123\n\n\xc3\xa9t\xc3\xa9 \xff bytes\n"
                 .. string.rep("abcdefghij", 20000) .. "\nlast line\n"
    write(dir .. "/text", text)
    os.execute("mkdir " .. H.quote(dir .. "/lib") .. " && ln -s " .. H.quote(STAGES) .. " "
               .. H.quote(dir .. "/lib/libipc_stages.so"))
    local config = write(dir .. "/upper.lua", [[
return {
  stages = {
    src   = { cmd = {"cat", "text"} },
    upper = { native = { lib = "lib/libipc_stages.so", fn = "ipc_stage_upper" } },
    sink  = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "upper.in", framing = "lines" },
    { "upper.out", "sink.stdin", framing = "lines" },
  },
}
]])
    local code, out, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    local sh = io.popen("tr a-z A-Z < " .. H.quote(dir .. "/text"))
    local want = sh:read("a")
    sh:close()
    assert.equal(#text, #want)
    assert.is_true(want == out, "the output differs from tr a-z A-Z")
    assert.equal("", err)
    assert.same({}, H.host_leftovers(pid))
  end)

  it("sends the CRC-32C of each line, over an mq and a ring", function()
    local dir = mkdir()
    local input = {}
    for i = 1, 200 do input[#input + 1] = string.format("line %d %s\n", i, string.rep("x", i)) end
    write(dir .. "/text", table.concat(input))
    local config = write(dir .. "/crc.lua", string.format([[
return {
  stages = {
    src  = { cmd = {"cat", "text"} },
    crc  = { native = { lib = %q, fn = "ipc_stage_crc32c", sig = "long(buf, buf)" } },
    sink = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "crc.in", via = "mq", framing = "lines" },
    { "crc.out", "sink.stdin", via = "ring", framing = "lines" },
  },
}
]], STAGES))
    local code, out, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    local want = {}
    for i, l in ipairs(input) do want[i] = crc32c(l) .. "\n" end -- each line keeps its "\n"
    assert.same(want, lines_of(out))
    assert.same({}, H.host_leftovers(pid))
  end)

  it("sends a libc function's result as text: strlen as size_t(str)", function()
    local dir = mkdir()
    local config = write(dir .. "/len.lua", [[
return {
  stages = {
    src  = { cmd = {"printf", "a\nhello\n\nsome words\n"} },
    len  = { native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(str)" } },
    sink = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "len.in", framing = "lines" },
    { "len.out", "sink.stdin", framing = "lines" },
  },
}
]])
    local code, out, err = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    assert.equal("2\n6\n1\n11\n", out)
  end)

  it("says it is ready (ready = true) once its library and endpoints are open", function()
    local dir = mkdir()
    -- the input comes after ready_timeout: only the worker's own signal
    -- lets the sink start in time
    local config = write(dir .. "/ready.lua", [[
return {
  stages = {
    src  = { cmd = "sleep 1.5; printf 'abc\\n'" },
    len  = { native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(str)" },
             ready = true, ready_timeout = 0.5 },
    sink = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "len.in", framing = "lines" },
    { "len.out", "sink.stdin", framing = "lines" },
  },
}
]])
    local code, out, err = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    assert.equal("4\n", out)
  end)

  it("drops the results of a stage without an out link (a sink)", function()
    local dir = mkdir()
    local config = write(dir .. "/sink.lua", string.format([[
return {
  stages = {
    src = { cmd = {"seq", "1", "1000"} },
    rev = { native = { lib = %q, fn = "ipc_stage_reverse" } },
  },
  links = { { "src.stdout", "rev.in", via = "ring", framing = "lines" } },
}
]], STAGES))
    local code, out, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    assert.equal("", out)
    assert.same({}, H.host_leftovers(pid))
  end)

  it("spreads a ring over replicas = 2 and loses or repeats no message", function()
    local dir = mkdir()
    local n = 20000
    local stats = dir .. "/stats.json"
    local config = write(dir .. "/rep.lua", string.format([[
return {
  stages = {
    src  = { cmd = {"seq", "1", "%d"} },
    crc  = { native = { lib = %q, fn = "ipc_stage_crc32c" }, replicas = 2 },
    sink = { cmd = {"sort"} },
  },
  links = {
    { "src.stdout", "crc.in", via = "ring", framing = "lines" },
    { "crc.out", "sink.stdin", via = "ring", framing = "lines" },
  },
}
]], n, STAGES))
    local code, out, err, pid = ipc_run({"run", "--quiet", "--stats-json", stats, config})
    assert.equal(0, code, err)
    local want = {}
    for i = 1, n do want[i] = crc32c(i .. "\n") .. "\n" end
    table.sort(want)
    local got = lines_of(out)
    assert.equal(n, #got)
    assert.is_true(table.concat(want) == out, "the CRCs differ from the reference")
    local s = slurp(stats)
    assert.matches('"kind":"native"', s, 1, true)
    assert.matches('"replicas":2', s, 1, true)
    assert.same({}, H.host_leftovers(pid))
  end)

  it("runs replicas on socket relays: every replica ends, lines come out as lines", function()
    local dir = mkdir()
    local config = write(dir .. "/relay.lua", string.format([[
return {
  stages = {
    src  = { cmd = {"printf", "ab\\ncd\\nef\\ngh\\n"} },
    up   = { native = { lib = %q, fn = "ipc_stage_upper" }, replicas = 2 },
    sink = { cmd = {"sort"}, env = { LC_ALL = "C" } },
  },
  links = {
    { "src.stdout", "up.in", via = "unix", framing = "lines" },
    { "up.out", "sink.stdin", via = "tcp", framing = "lines" },
  },
}
]], STAGES))
    -- a replica that connects after the short input has ended must still
    -- see its end: a few runs, since which replica is late varies
    for _ = 1, 4 do
      local code, out, err, pid = ipc_run({"run", "--quiet", config})
      assert.equal(0, code, err)
      assert.equal("AB\nCD\nEF\nGH\n", out)
      assert.same({}, H.host_leftovers(pid))
    end
  end)

  it("contains a function that crashes: its stage is killed by SIGSEGV, the host cleans up", function()
    local dir = mkdir()
    -- memcpy as long(buf,buf) is memcpy(in, (void *)in_len, out): it reads
    -- from an address below a page, which is never mapped
    local config = write(dir .. "/crash.lua", [[
return {
  stages = {
    src   = { cmd = {"seq", "1", "100"} },
    crash = { native = { lib = "libc.so.6", fn = "memcpy" } },
    sink  = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "crash.in", via = "ring", framing = "lines" },
    { "crash.out", "sink.stdin", via = "mq", framing = "lines" },
  },
}
]])
    local code, out, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(128 + 11, code, err)
    assert.equal("", out)
    assert.matches("ipc: stage 'crash' killed by SIGSEGV", err, 1, true)
    assert.same({}, H.host_leftovers(pid))
  end)

  it("fails a stage whose library is missing at run time, with a clear message", function()
    local dir = mkdir()
    local config = write(dir .. "/nolib.lua", [[
return {
  stages = {
    src = { cmd = {"printf", "x\n"} },
    f   = { native = { lib = "libipc-no-such-library.so.9", fn = "f" } },
  },
  links = { { "src.stdout", "f.in", via = "mq", framing = "lines" } },
}
]])
    local code, _, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(1, code)
    assert.matches("[f] ipc: native stage f: libipc-no-such-library.so.9: No such file or directory",
                   err, 1, true)
    assert.matches("ipc: stage 'f' exited with 1", err, 1, true)
    assert.same({}, H.host_leftovers(pid))
    -- a symbol the library lacks, the same way
    write(config, (slurp(config):gsub("libipc%-no%-such%-library%.so%.9", STAGES)))
    code, _, err = ipc_run({"run", "--quiet", config})
    assert.equal(1, code)
    assert.matches("ipc: native stage f: " .. STAGES .. ": No such file or directory", err, 1, true)
    assert.matches("undefined symbol: f", err, 1, true)
  end)

  it("draws a native stage with its function in `ipc graph`", function()
    local dir = mkdir()
    local config = write(dir .. "/g.lua", [[
return {
  stages = {
    src = { cmd = {"true"} },
    up  = { native = { lib = "libipc_stages.so", fn = "ipc_stage_upper" }, replicas = 3 },
  },
  links = { { "src.stdout", "up.in", framing = "lines" } },
}
]])
    local code, out, err = ipc_run({"graph", config})
    assert.equal(0, code, err)
    assert.matches('"up" [label="up\\nnative ipc_stage_upper x3"];', out, 1, true)
    assert.matches('"src" -> "up" [label="pipe lines", taillabel="stdout", headlabel="in"];', out, 1, true)
  end)

  describe("config errors (`ipc check`, exit 2)", function()
    -- check a config whose stage x is `stage` and whose links are `links`
    local function check(stage, links)
      local dir = mkdir()
      local config = write(dir .. "/bad.lua", string.format([[
return {
  stages = {
    src = { cmd = {"true"} },
    x   = %s,
    dst = { cmd = {"cat"} },
  },
  links = %s,
}
]], stage, links or '{ { "src.stdout", "x.in", framing = "lines" } }'))
      local code, out, err = ipc_run({"check", config})
      assert.equal(2, code, out .. err)
      return err, config
    end

    it("accepts a valid native stage", function()
      local dir = mkdir()
      local config = write(dir .. "/ok.lua", [[
return {
  stages = {
    src = { cmd = {"true"} },
    x   = { native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(char *)" },
            replicas = 2, restart = "on-failure", env = { A = "b" }, kill_timeout = 1 },
  },
  links = { { "src.stdout", "x.in", via = "ring", framing = "lines" } },
}
]])
      local code, out, err = ipc_run({"check", config})
      assert.equal(0, code, err)
      assert.equal("ok: 2 stages, 1 link\n", out)
    end)

    it("names a missing fn", function()
      local err, config = check('{ native = { lib = "libc.so.6" } }')
      assert.matches(config .. ':4: stage "x": field \'native\': fn is required', err, 1, true)
    end)

    it("names a signature that does not parse", function()
      local err = check('{ native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(strr)" } }')
      assert.matches([[stage "x": field 'native': sig "size_t(strr)": ]], err, 1, true)
    end)

    it("names a signature that does not suit a stage", function()
      local err = check('{ native = { lib = "libm.so.6", fn = "cos", sig = "double(double)" } }')
      assert.matches([[stage "x": field 'native': sig "double(double)": a native stage takes]], err, 1, true)
    end)

    it("names unknown fields, a missing lib file and a bad native table", function()
      local err = check('{ native = { lib = "./nope.so", fn = "f", fun = 1 } }')
      assert.matches([[field 'native': unknown field "fun" (expected lib, fn, sig)]], err, 1, true)
      assert.matches([[field 'native': lib "./nope.so" not found]], err, 1, true)
      err = check('{ native = "libc.so.6" }')
      assert.matches([[field 'native': must be a table]], err, 1, true)
      err = check('{ native = { lib = "libc.so.6", fn = "strlen" }, cmd = "cat" }')
      assert.matches([[only one of cmd, lua, python, native (got cmd and native)]], err, 1, true)
      err = check('{ native = { lib = "libc.so.6", fn = "strlen" }, args = {"a"} }')
      assert.matches([[field 'args': only for lua and python stages]], err, 1, true)
    end)

    it("names a port a native stage does not have", function()
      local stage = '{ native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(str)" } }'
      local err = check(stage, '{ { "src.stdout", "x.stdin" } }')
      assert.matches([[x.stdin: a native stage's ports are in (a target), out and stderr (sources)]], err, 1, true)
      err = check(stage, '{ { "src.stdout", "x.in", framing = "lines" }, { "x.result", "dst.stdin", framing = "lines" } }')
      assert.matches("x.result: a native stage's ports are", err, 1, true)
      err = check(stage, '{ { "src.stdout", "x.in", framing = "lines" }, { "x.stdout", "dst.stdin" } }')
      assert.matches("x.stdout: a native stage's ports are", err, 1, true)
      err = check(stage, '{ { "src.stdout", "x.in", framing = "lines" }, { "dst.stdout", "x.out", framing = "lines" } }')
      assert.matches("x.out: a native stage's ports are in (a target), out and stderr (sources), not a target", err, 1, true)
    end)

    it("names a native stage without an input link", function()
      local err, config = check('{ native = { lib = "libc.so.6", fn = "strlen", sig = "size_t(str)" } }', "{}")
      assert.matches(config .. [[:4: stage "x": a native stage needs a link into x.in]], err, 1, true)
    end)
  end)
end)
