-- spec/rpc_spec.lua: ipc.rpc from Lua (docs/rpc.md): the codec walk
-- (every value type, ipc.rpc.null, lists and maps, limits), then a Lua
-- server in a child process over every transport (unix, unixpacket, tcp,
-- ring, mq, sysvmq, fifo): results, remote errors, unknown names, a
-- timeout followed by a good call, the size limit, native functions
-- served, and SIGTERM / SIGINT / a handler's close ending the loop with
-- exit status 0 and nothing left behind.
local ipc = require "ipc"
local H = require "helper"

local rpc = ipc.rpc
local null = rpc.null
local T = 10 -- seconds any call may take (a generous bound)

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function raises(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

-- The server every transport runs: arg[1] the URL, arg[2] the largest
-- message (0: the default). It prints "ready <pid> <url>" once it
-- listens, and "served" when serve returned true.
local SERVER = [==[
local ipc = require "ipc"
local url, max = arg[1], math.tointeger(tonumber(arg[2]))
local server
local funcs = {
  add = function(a, b) return a + b end,
  id = function(v) return v end,
  nargs = function(...) return select("#", ...) end,
  types = function(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = math.type((select(i, ...))) or type((select(i, ...))) end
    return t
  end,
  fail = function(msg) error(msg, 0) end,
  fail_where = function() error("with a position") end,
  fail_object = function()
    error(setmetatable({}, {__tostring = function() return "an error object" end}))
  end,
  sleep = function(s, marker)
    if marker then assert(io.open(marker, "w")):close() end -- under way
    local r <close>, w = ipc.pipe()
    local _w <close> = w
    r:recv(s) -- times out after s seconds
    return s
  end,
  big = function(n) return string.rep("x", n) end,
  unencodable = function() return print end,
  cos = assert(ipc.native("libm.so.6", "cos", "double(double)")),
  pid = function() return ipc.getpid() end,
  stop = function() assert(server:close()) return "bye" end,
}
assert(ipc.rpc.serve(url, funcs, {max_message_size = max ~= 0 and max or nil,
  ready = function(s)
    server = s
    io.stdout:write("ready ", ipc.getpid(), " ", s:url(), "\n")
    io.stdout:flush()
  end}))
io.stdout:write("served\n")
]==]

-- Start the server of src (a Lua or Python script, by lang) on url in the
-- background; returns {pid, url, stop = fn(sig) -> exit code, output}.
local function start_server(src, url, max, lang)
  return H.start_server(lang or "lua", src, url, max or 0)
end

-- The named objects in /dev/shm and /dev/mqueue whose name holds tag.
local function leftovers(tag)
  local found = {}
  for _, dir in ipairs({"/dev/shm", "/dev/mqueue"}) do
    local p = io.popen("ls -A " .. dir .. " 2>/dev/null")
    for n in p:lines() do
      if n:find(tag, 1, true) then found[#found + 1] = dir .. "/" .. n end
    end
    p:close()
  end
  return found
end

-- Values that come back as they went; [2] when they come back otherwise.
local ROUND_TRIP = {
  true, false, 0, 1, -1, 127, 128, 255, 256, -32, -33, 65535, 65536,
  2147483648, -2147483649, math.maxinteger, math.mininteger,
  0.0, 1.5, -2.25, 1e300, -1e-300, math.huge, -math.huge, 2^63,
  "", "hello", "h\xc3\xa9llo \xe2\x82\xac", "\0\1\2\255", string.rep("z", 70000),
  {}, {1, 2, 3}, {"a", {"b", {"c"}}}, {a = 1, b = {c = {1, 2}}},
  {[1] = "one", [3] = "three"}, {[true] = "t", [1.5] = "f", [-1] = "n"},
  {1, null, 3}, {k = null},
}

describe("ipc.rpc codec", function()
  it("encodes the smallest MessagePack forms", function()
    local cases = {
      {nil, "c0"}, {false, "c2"}, {true, "c3"}, {0, "00"}, {127, "7f"},
      {128, "cc80"}, {256, "cd0100"}, {65536, "ce00010000"},
      {1 << 32, "cf0000000100000000"}, {-1, "ff"}, {-32, "e0"},
      {-33, "d0df"}, {-129, "d1ff7f"}, {-32769, "d2ffff7fff"},
      {math.mininteger, "d38000000000000000"},
      {1.5, "cb3ff8000000000000"}, {1.0, "cb3ff0000000000000"},
      {"", "a0"}, {"hi", "a26869"}, {string.rep("a", 32), "d920" .. string.rep("61", 32)},
      {"\255", "c401ff"}, {{}, "90"}, {{1, 2}, "920102"}, {{a = 1}, "81a16101"},
      {null, "c0"},
    }
    for _, c in ipairs(cases) do
      assert.equal(c[2], hex(rpc.encode(c[1])), tostring(c[1]))
    end
  end)

  it("decodes every type, ipc.rpc.null inside containers", function()
    for i, v in ipairs(ROUND_TRIP) do
      local back = rpc.decode(rpc.encode(v))
      assert.same(v, back, "value " .. i)
      if type(v) == "number" then assert.equal(math.type(v), math.type(back)) end
    end
    assert.is_nil(rpc.decode("\xc0"))
    assert.equal(null, rpc.decode(unhex("93" .. "01c003"))[2])
    assert.equal(null, rpc.decode(unhex("81a161c0")).a)
    assert.equal("k", rpc.decode(unhex("81c0a16b"))[null]) -- a nil key
    local k, v = next(rpc.decode(rpc.encode({[{1, 2}] = "a list key"})))
    assert.same({1, 2}, k)
    assert.equal("a list key", v)
    assert.equal(1.5, rpc.decode(unhex("ca3fc00000"))) -- float32
    assert.equal("\255", rpc.decode(unhex("c401ff"))) -- bin
    local u = rpc.decode(unhex("cfffffffffffffffff"))
    assert.equal("float", math.type(u))
    assert.equal(2^64, u)
    assert.equal(math.maxinteger, rpc.decode(unhex("cf7fffffffffffffff")))
    -- a table of keys 1..n is a list, any other table a map
    assert.equal("93", hex(rpc.encode({1, 2, 3})):sub(1, 2))
    assert.equal("82", hex(rpc.encode({[1] = 1, [3] = 3})):sub(1, 2))
    assert.equal("81", hex(rpc.encode({[2] = 2})):sub(1, 2))
    assert.equal("81", hex(rpc.encode({[0] = 0})):sub(1, 2))
  end)

  it("refuses what it cannot encode", function()
    assert.matches("cannot encode a function", raises(rpc.encode, print))
    assert.matches("cannot encode a userdata", raises(rpc.encode, io.stdout))
    assert.matches("cannot encode a thread", raises(rpc.encode, {coroutine.create(print)}))
    local t = {1}
    t[2] = {t}
    assert.matches("contains itself", raises(rpc.encode, t))
    local shared = {1}
    assert.equal("929101" .. "9101", hex(rpc.encode({shared, shared}))) -- not a cycle
    local deep = {}
    local cur = deep
    for _ = 2, 64 do cur[1] = {} cur = cur[1] end
    assert.same(deep, rpc.decode(rpc.encode(deep))) -- 64 levels
    cur[1] = {}
    assert.matches("nesting deeper than 64", raises(rpc.encode, deep))
    assert.matches("deeper than 64", raises(rpc.decode, string.rep("\x91", 65) .. "\xc0"))
  end)

  it("refuses malformed input", function()
    assert.matches("Protocol error", raises(rpc.decode, ""))
    assert.matches("truncated", raises(rpc.decode, "\xcd\x01"))
    assert.matches("count larger", raises(rpc.decode, "\x92\x01"))
    assert.matches("0xc1", raises(rpc.decode, "\xc1"))
    assert.matches("bytes after", raises(rpc.decode, "\x01\x02"))
    assert.matches("UTF%-8", raises(rpc.decode, "\xa1\xff"))
    assert.matches("NaN", raises(rpc.decode, unhex("81cb7ff8000000000000c0")))
    assert.matches("bad argument", raises(rpc.decode, nil))
  end)
end)

describe("ipc.rpc servers and clients", function()
  after_each(H.cleanup)

  it("opens and closes a server in process, and refuses udp and fd", function()
    local path = H.path("inproc.sock")
    local s = assert(rpc.server("unix:" .. path))
    assert.equal("unix:" .. path, s:url())
    assert.equal("ipc.rpc.Server (unix:" .. path .. ")", tostring(s))
    assert.is_true(s:close())
    assert.equal("ipc.rpc.Server (closed)", tostring(s))
    assert.matches("closed", raises(s.close, s))
    assert.is_nil(io.open(path)) -- the socket file went with the server
    do local s2 <close> = assert(rpc.server("unix:" .. path)) end
    assert.is_nil(io.open(path))
    for _, url in ipairs({"udp://127.0.0.1:0", "fd:0"}) do
      local x, msg, err = rpc.server(url)
      assert.is_nil(x)
      assert.matches("^rpc.server: ", msg)
      assert.equal(ipc.errno.EPROTONOSUPPORT, err)
    end
    assert.matches("unknown option 'maxsize'", raises(rpc.server, "unix:" .. path, {maxsize = 1}))
    assert.matches("bad option 'ready'", raises(rpc.serve, "unix:" .. path, {}, {ready = 1}))
    assert.matches("table expected", raises(rpc.serve, "unix:" .. path))
    -- ready raising: the error propagates and the server is closed
    assert.equal("not ready", raises(rpc.serve, "unix:" .. path, {},
      {ready = function() error("not ready", 0) end}))
    assert.is_nil(io.open(path))
  end)

  it("returns fail, msg, errno when there is no server", function()
    local p, msg, err = rpc.connect("unix:" .. H.path("none.sock"), 1)
    assert.is_nil(p)
    assert.matches("^rpc.connect: ", msg)
    assert.equal(ipc.errno.ENOENT, err)
    p, msg, err = rpc.connect("ring:" .. H.name("none", "ring"), 1)
    assert.is_nil(p)
    assert.equal(ipc.errno.ENOENT, err)
    assert.matches("bad argument #2", raises(rpc.connect, "unix:/x", -1))
  end)

  -- kind, URL maker, the server's largest message (the queues stay
  -- under the kernel's default limit of 8 KiB a message)
  local transports = {
    {"unix", function() return "unix:" .. H.path("rpc.sock") end, 65536},
    {"unixpacket", function() return "unixpacket:" .. H.path("rpc.sock") end, 65536},
    {"tcp", function() return "tcp://127.0.0.1:0" end, 65536},
    {"ring", function() return "ring:" .. H.name("rpc", "ring") end, 65536},
    {"mq", function() return "mq:" .. H.name("rpc", "mq") end, 8192},
    {"sysvmq", function() return "sysvmq:" .. H.key() end, 8192},
    {"fifo", function() return "fifo:" .. H.path("rpc.fifo") end, 65536},
  }

  for _, tr in ipairs(transports) do
    local kind, make_url, limit = tr[1], tr[2], tr[3]

    it("calls a Lua server over " .. kind, function()
      local srv = start_server(SERVER, make_url(), limit)
      local p = assert(rpc.connect(srv.url, T))
      assert.equal("ipc.rpc.Proxy (" .. srv.url .. ")", tostring(p))
      assert.equal(5, p.add(2, 3))
      assert.equal(p.add, p.add) -- callers are made once
      assert.equal(srv.pid, p.pid())
      -- every value type, there and back
      for i, v in ipairs(ROUND_TRIP) do
        if type(v) ~= "string" or #v < limit - 100 then
          local back = p.id(v)
          assert.same(v, back, kind .. ": value " .. i)
          if type(v) == "number" then assert.equal(math.type(v), math.type(back)) end
        end
      end
      assert.is_nil(p.id(nil))
      assert.is_nil(p.id(null)) -- null at the top is nil
      assert.is_nil(p.id())
      assert.equal(3, p.nargs(1, nil, nil))
      assert.equal(0, p.nargs())
      assert.same({"integer", "float", "nil", "string", "boolean", "table", "nil"},
        p.types(1, 2.0, nil, "s", true, {}, null))
      assert.equal(1.0, p.cos(0)) -- a native function, served like any
      -- remote errors, unknown names: raised as "rpc: name: message"
      assert.equal("rpc: fail: it broke", raises(p.fail, "it broke"))
      assert.matches("^rpc: fail_where: .*server%.lua:%d+: with a position$", raises(p.fail_where))
      assert.equal("rpc: fail_object: an error object", raises(p.fail_object))
      assert.equal("rpc: nope: no such function: nope", raises(p.nope, 1))
      assert.matches("^rpc: add: .*attempt to perform arithmetic", raises(p.add, 1, {}))
      assert.equal("rpc: unencodable: result: cannot encode a function value", raises(p.unencodable))
      assert.equal("rpc: id: cannot encode a function value", raises(p.id, print))
      assert.equal(7, p.add(3, 4)) -- errors leave the server serving
      -- a timeout, then a good call: the late reply is dropped
      local slow = assert(rpc.connect(srv.url, 0.2))
      local msg = raises(slow.sleep, 0.5)
      assert.matches("^rpc: sleep: Connection timed out", msg)
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      r:recv(0.8) -- until the late reply is sent
      assert.equal(9, slow.add(4, 5))
      assert.is_true(rpc.close(slow))
      -- the size limit: the server's, on its result
      assert.equal(limit - 100, #p.big(limit - 100))
      assert.matches("^rpc: big: result: Message too long", raises(p.big, limit + 1))
      assert.equal(11, p.add(5, 6))
      assert.is_true(rpc.close(p))
      assert.equal("ipc.rpc.Proxy (closed)", tostring(p))
      assert.equal("rpc: add: the proxy is closed", raises(p.add, 1, 2))
      assert.matches("closed", raises(rpc.close, p))
      local code, out = srv.stop("TERM")
      assert.equal(0, code, out)
      assert.equal("served\n", out)
      assert.same({}, leftovers("ipc-test-" .. ipc.getpid() .. "-"))
    end)
  end

  it("limits the size of a call on the client", function()
    local srv = start_server(SERVER, "unix:" .. H.path("lim.sock"))
    local p <close> = assert(rpc.connect(srv.url, T, {max_message_size = 1024}))
    assert.equal(900, #p.id(string.rep("y", 900)))
    assert.matches("^rpc: id: Message too long", raises(p.id, string.rep("y", 2000)))
    assert.equal(3, p.add(1, 2))
    assert.equal(0, (srv.stop("TERM")))
  end)

  it("refuses a call over the server's limit and goes on serving", function()
    local srv = start_server(SERVER, "unix:" .. H.path("big.sock"), 4096)
    local p = assert(rpc.connect(srv.url, T))
    assert.equal(3000, #p.id(string.rep("y", 3000)))
    raises(p.id, string.rep("y", 10000)) -- refused or dropped: never served
    ipc.rpc.close(p)
    p = assert(rpc.connect(srv.url, T))
    assert.equal(3, p.add(1, 2))
    ipc.rpc.close(p)
    assert.equal(0, (srv.stop("TERM")))
  end)

  it("raises when the server went away", function()
    local srv = start_server(SERVER, "unix:" .. H.path("gone.sock"))
    local p <close> = assert(rpc.connect(srv.url, T))
    assert.equal(2, p.add(1, 1))
    assert.equal(0, (srv.stop("TERM")))
    local msg = raises(p.add, 1, 1)
    assert.is_truthy(msg:find("^rpc: add: Broken pipe") or msg:find("^rpc: add: Connection reset"), msg)
  end)

  it("ends the loop on SIGINT, and when a handler closes the server", function()
    local srv = start_server(SERVER, "unix:" .. H.path("int.sock"))
    local p <close> = assert(rpc.connect(srv.url, T))
    assert.equal(3, p.add(1, 2))
    local code, out = srv.stop("INT")
    assert.equal(0, code, out)
    assert.equal("served\n", out)
    srv = start_server(SERVER, "ring:" .. H.name("stop", "ring"))
    local q <close> = assert(rpc.connect(srv.url, T))
    assert.equal("bye", q.stop()) -- answered, then the loop ends
    code, out = srv.stop()
    assert.equal(0, code, out)
    assert.equal("served\n", out)
  end)

  it("finishes the call under way when SIGTERM comes", function()
    local srv = start_server(SERVER, "unix:" .. H.path("term.sock"))
    -- a child process makes the slow call while we signal the server
    local ok_file, marker = H.path("ok"), H.path("marker")
    local child = assert(io.popen("exec env " .. H.child_env() .. " " .. H.quote(H.lua)
      .. " -e " .. H.quote(string.format([[
        local ipc = require "ipc"
        local p = assert(ipc.rpc.connect(%q, 10))
        local v = p.sleep(0.5, %q)
        local f = assert(io.open(%q, "w")) f:write(tostring(v)) f:close()
      ]], srv.url, marker, ok_file)) .. " 2>&1", "r"))
    local r <close>, w = ipc.pipe()
    local _w <close> = w
    local deadline = ipc.now() + T
    local function exists(path)
      local f = io.open(path)
      if f then f:close() end
      return f ~= nil
    end
    repeat r:recv(0.01) until exists(marker) or ipc.now() > deadline -- the call is under way
    local code, out = srv.stop("TERM")
    local cout = child:read("a")
    child:close()
    assert.equal(0, code, out)
    local f = assert(io.open(ok_file), cout)
    assert.equal("0.5", f:read("a"))
    f:close()
  end)
end)
