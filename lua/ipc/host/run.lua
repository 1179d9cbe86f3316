-- ipc.host.run: the runtime of `ipc run`: run.run(plan, opts) -> exit code.
--
-- plan is config.lua's validated plan (DESIGN.md "The host"; the brief's
-- shape). What the runtime decides, stage by stage and link by link:
--
-- Objects. Links into the same target port share one object (that is a
-- merge). Each object is created by the host before any stage starts and
-- named by names.lua after the host's pid and the index of the first link
-- into that port:
--   pipe    an ipc.pipe() in the host;
--   fifo    $TMPDIR/ipc-host-<pid>/<i>.fifo, opened by the host both ways;
--           stages get the opened ends (stdin/stdout or fd:N), exactly as
--           for a pipe, so restarts and end of stream work the same;
--   mq, ring, sysvmq   the named queue, created by the host; stages get its
--           URL in IPC_ENDPOINTS;
--   unix, tcp   the host listens, on two sockets per target port
--           (<i>.from.sock / <i>.to.sock, or two 127.0.0.1 ports), and
--           relays: producers connect to the "from" URL, consumers to the
--           "to" URL (both sides use ipc.endpoint, which connects), and the
--           host forwards each message to one consumer, round robin.
-- Link options: capacity (ring), max_messages (mq) and max_message_size
-- (mq, ring, sysvmq, and the unix/tcp listeners) shape the object created.
--
-- Shared sources. A port that is the source of several links is pumped
-- once into a splitter in the host, which hands each message (a line when
-- any of those links has framing = "lines", else a chunk or a frame) to
-- every link when one of them says fanout = "broadcast", else to one link,
-- round robin. Such links always go through the host (no direct pipe).
-- Replicas: a message or raw input of a stage with replicas > 1 over a pipe
-- or FIFO gets one host pipe per replica (so a FIFO link becomes pipes),
-- fed round robin one message (or line) at a time; over a queue the
-- replicas share the queue, over unix/tcp each connects to the relay.
--
-- Adapting (framing). Where a raw port (stdin/stdout/stderr) meets a
-- message endpoint, or a raw port meets a queue kind, the host pumps, in
-- its own poll loop (no extra process): it reads the raw pipe and sends
-- each line ("lines"; the message keeps its "\n", so it is never empty),
-- each chunk read ("raw"; into a queue, a chunk longer than the queue's
-- message size goes in pieces of at most that size, in order), or each
-- frame ("frames") as one message; the
-- other way it writes each message raw, adding "\n" to a line that lacks
-- one for "lines", or as a frame for "frames". framing = nil means
-- "frames" (the bytes on the pipe already are frames: a pipe or FIFO is
-- then handed over directly, no pump).
--
-- End of stream. Pipes, FIFOs and sockets end when every producer is gone:
-- the host keeps its copies of the ends only while a stage that may be
-- restarted needs them. Queue kinds (mq, sysvmq, ring) have no end of
-- stream, so when every producer of a queue object has ended for good,
-- the host sends one EMPTY message per consumer (each replica of a message
-- consumer; 1 for a pump). A consumer reads until it gets "".
--
-- Stages. cmd runs argv; lua runs opts.lua_argv (default: the host
-- binary: env IPC_HOST_BIN, else /proc/<pid>/exe, else arg[-1]) on
-- the script; python runs opts.python_argv (default: env IPC_PYTHON, else
-- /usr/bin/python3) on the script, with env IPC_HOST_PYTHONPATH (the build
-- tree's python directory, or the install's) put before PYTHONPATH.
-- stage.args (optional) follows the script. native runs the host binary
-- (host_binary()) as a worker, {bin, "__native-stage", lib, fn, sig}
-- (lua/host/ipc_host.c): it opens the endpoints "in" and "out" (absent
-- for a sink) and calls fn once per message (ipc_native_stage_run), so
-- a function that crashes ends that process only, reported as any
-- stage's signal. Environment: ours, then
-- opts.env, then stage.env, then IPC_STAGE (the name), IPC_REPLICA (1..n)
-- and IPC_READY_FD (see readiness). stdin is /dev/null unless a link
-- feeds it; stdout is the host's unless linked. stderr, unless linked, is
-- a pipe the host reads in its loop and copies to its own stderr a line at
-- a time as "[name] line" ("[name#i] line" for replica i when replicas > 1;
-- opts.no_prefix gives the host's stderr as it is). Each instance leads
-- its own process group (signals go to the group) and gets
-- PR_SET_PDEATHSIG.
--
-- Readiness. A stage with ready = true gets, in env IPC_READY_FD, the
-- number of a descriptor (a pipe's write end): it writes one byte to it,
-- or closes it, when it is ready (ending counts as closing). Every stage
-- that consumes one of its outputs (a link from it) starts only when every
-- replica of every ready stage it consumes from has signalled; other
-- stages start at once. When a ready stage has not signalled within
-- stage.ready_timeout seconds (default 10) of its first start, the run
-- fails: every stage is stopped as for SIGTERM, stages still waiting never
-- start, and the host says "ipc: stage 'x' not ready after N s" and
-- exits 1. A restart gives a new descriptor; only the first signal counts.
--
-- Supervision. restart = "on-failure" restarts an instance that exited
-- non-zero, "always" any instance that exited. The delay starts at
-- stage.backoff (default 1 s) and doubles (at most 60 s); an instance
-- gives up after stage.max_failures (default 5; 0: never) failures in a
-- row, each within stage.failure_window (default 10 s) of its start (a
-- longer run resets the count and the delay).
-- Exit status: 0 when every stage ended with 0; otherwise the status of the
-- first stage instance that failed for good (a signal N gives 128 + N),
-- named on stderr: "ipc: stage 'x' exited with 3" / "killed by SIGKILL".
-- SIGINT/SIGTERM (a signalset, so also while blocked in poll) stop every
-- stage: TERM to each process group, KILL after kill_timeout (default 5 s);
-- the host then exits 128 + the signal. SIGHUP is forwarded to every
-- running stage instance's process group and does nothing else to the
-- host (a stage that reloads on SIGHUP reloads; one that does not handle
-- it ends, and its restart policy applies).
--
-- Status. With opts.status (the CLI sets it when stderr is a terminal and
-- not --quiet), status.lua redraws, at most 4 times a second, one line per
-- stage (state, pids, restarts) and per link (messages, bytes and rate:
-- Host:counts, the ring's own counters for a ring, else the host's pumps;
-- "-" where nothing counts them, a direct pipe or a queue between message
-- ports; queue depth: mq attributes, ring msgs_in - msgs_out, sysvmq
-- stat, else the host's own queue) on stderr with ANSI cursor movement, cleared before any other
-- output and at the end, before the plain summary.
--
-- Clean-up: on every path (normal end, a stop, an error raised inside) the
-- host kills and reaps every instance still running, closes every
-- channel, unlinks every object it made (pcall-protected) and removes its
-- directory. Before starting, it runs names.gc() (objects of dead hosts),
-- unless opts.no_gc.
--
-- opts: quiet (no summary), status (live status lines), stats_json (path),
-- lua_argv, python_argv, env ({NAME = value} for every stage), no_gc,
-- no_prefix, stderr (a function(s) for the host's messages, the stages'
-- prefixed stderr and the status lines; default io.stderr:write).
local ipc = require "ipc"
local names = require "ipc.host.names"
local status = require "ipc.host.status"

local M = {}

local RAW = {stdin = true, stdout = true, stderr = true}
local QUEUE = {mq = true, sysvmq = true, ring = true}
local STREAM = {pipe = true, fifo = true}
local RELAY = {unix = true, tcp = true}
local SIGNAMES = {[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL",
  [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
  [11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM"}
local CHUNK = 65536
local HIGH_WATER = 1024 -- queued messages per hub before its inputs pause

---------------------------------------------------------------- helpers

local function our_env()
  local env = {}
  local f = io.open("/proc/self/environ", "rb")
  if f then
    local s = f:read("a")
    f:close()
    for entry in s:gmatch("([^%z]+)") do
      local k, v = entry:match("^([^=]+)=(.*)$")
      if k then env[k] = v end
    end
  end
  return env
end

local function host_binary()
  local bin = os.getenv("IPC_HOST_BIN")
  if bin and bin ~= "" then return bin end
  -- the `ipc` next to the host's code (an embedding program is not one)
  local has_native, native = pcall(require, "ipc.host.native")
  local own = has_native and native.exe and native.exe()
  if own then return own end
  -- the binary running us, absolute (a stage's cwd may differ from ours)
  local f = io.popen("readlink -f /proc/" .. ipc.getpid() .. "/exe 2>/dev/null")
  local exe = f and f:read("l")
  if f then f:close() end
  if exe and exe ~= "" then return exe end
  if arg then
    local i = -1
    while arg[i - 1] do i = i - 1 end
    if arg[i] then return arg[i] end
  end
  return "ipc"
end

local function status_text(code)
  if code < 0 then
    return "killed by " .. (SIGNAMES[-code] or ("signal " .. -code))
  end
  return "exited with " .. code
end

local function exit_status(code)
  if code < 0 then return 128 - code end
  return code
end

local ARRAY = {}
local function json(v, out)
  out = out or {}
  local t = type(v)
  if t == "table" then
    if #v > 0 or (next(v) == nil and getmetatable(v) == ARRAY) then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        json(x, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        json(k, out)
        out[#out + 1] = ":"
        local x = v[k]
        if x == nil then x = v[math.tointeger(tonumber(k)) or k] end
        json(x, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
      local m = {['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r"}
      return m[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = tostring(v)
    else
      out[#out + 1] = string.format("%.6g", v)
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
  return out
end
M.json = function(v) return table.concat(json(v)) end

---------------------------------------------------------------- the host

local Host = {}
Host.__index = Host

local function new_host(plan, opts)
  local H = setmetatable({}, Host)
  H.plan, H.opts = plan, opts
  H.pid = ipc.getpid()
  H.say = opts.stderr or function(s) io.stderr:write(s) end
  H.made = {}       -- URLs of the named objects we created, to unlink
  H.chans = {}      -- every channel/listener we hold, to close at the end
  H.ends = {}       -- host-held ends: {ch=, stages={...}, closed=}
  H.hubs = {}
  H.objects = {}    -- queue objects: {url=, ch=, producers=, consumers=, feeder=}
  H.stages = {}     -- by name: {spec=, instances=, wiring=, done=}
  H.order = {}
  H.handlers = {}   -- poller object -> function(events)
  H.timers = {}     -- {at=, fn=}
  H.logs = {}       -- stages' stderr pipes being prefixed
  H.first_failure = nil
  return H
end

function Host:hold(ch)
  self.chans[#self.chans + 1] = ch
  return ch
end

-- A host-held end that stages need while one of them may (re)start.
function Host:keep_end(ch, stage_names)
  self.ends[#self.ends + 1] = {ch = ch, stages = stage_names}
end

function Host:release_ends()
  if not self.started_all then return end -- stages yet to start need them
  for _, e in ipairs(self.ends) do
    if not e.closed then
      local needed = false
      for _, name in ipairs(e.stages) do
        local st = self.stages[name]
        if not st.done and (st.spec.restart or "no") ~= "no" and not self.stopping then
          needed = true
        end
      end
      if not needed then
        e.closed = true
        self:poller_safe_close(e.ch)
      end
    end
  end
end

function Host:poller_safe_close(ch)
  pcall(function() self.poller:unregister(ch) end)
  pcall(ch.close, ch)
end

function Host:fail(msg)
  error({ipc_host = msg}, 0)
end

---------------------------------------------------------------- hubs
-- A hub moves messages from inputs to outputs inside the host:
--   input  {kind = "raw"|"frames"|"msg"|"queue", ch=, framing=, buf=}
--   output {kind = "raw"|"msg"|"queue", ch=, pend=}
-- hub.parties: producers still to end (raw pipes at their end of stream,
-- message stages when they end for good, accepted connections at close).

function Host:new_hub(label)
  local hub = {label = label, inputs = {}, outputs = {}, queue = {}, qhead = 1, qtail = 0,
               parties = 0, rr = 0, msgs = 0, bytes = 0, ended = false,
               markers = 0, drop_without_outputs = true}
  self.hubs[#self.hubs + 1] = hub
  return hub
end

local function hub_len(hub) return hub.qtail - hub.qhead + 1 end

function Host:hub_push(hub, msg, framing)
  if hub.piece and framing == "raw" and #msg > hub.piece then
    -- a raw chunk longer than the queue takes: in pieces, in order
    for i = 1, #msg, hub.piece do
      self:hub_push(hub, msg:sub(i, i + hub.piece - 1), framing)
    end
    return
  end
  hub.qtail = hub.qtail + 1
  hub.queue[hub.qtail] = {msg, framing}
  hub.msgs = hub.msgs + 1
  hub.bytes = hub.bytes + #msg
end

function Host:add_input(hub, input)
  input.hub = hub
  hub.inputs[#hub.inputs + 1] = input
  input.open = true
  self.handlers[input.ch] = function() self:on_input(input) end
  assert(self.poller:register(input.ch, "r"))
  input.registered = true
end

function Host:end_input(input)
  if not input.open then return end
  input.open = false
  if input.registered then pcall(function() self.poller:unregister(input.ch) end) end
  input.registered = false
  self.handlers[input.ch] = nil
  if input.closes then self:poller_safe_close(input.ch) end
  self:party_done(input.hub)
end

function Host:party_done(hub)
  hub.parties = hub.parties - 1
  self:hub_flush(hub)
end

-- Read what is there; turn it into messages.
function Host:on_input(input)
  local hub = input.hub
  for _ = 1, 64 do
    if hub_len(hub) >= HIGH_WATER then break end
    if input.kind == "raw" then
      local data, _, err = input.ch:read(CHUNK, 0)
      if data == nil then
        if err ~= ipc.errno.EAGAIN then
          if input.buf ~= "" then self:hub_push(hub, input.buf, input.framing) end
          input.buf = ""
          self:end_input(input)
        end
        break
      elseif data == "" then
        if input.buf ~= "" then self:hub_push(hub, input.buf, input.framing) end
        input.buf = ""
        self:end_input(input)
        break
      elseif input.framing == "lines" then
        local s = input.buf .. data
        local pos = 1
        while true do
          local nl = s:find("\n", pos, true)
          if not nl then break end
          self:hub_push(hub, s:sub(pos, nl), "lines")
          pos = nl + 1
        end
        input.buf = s:sub(pos)
      else
        self:hub_push(hub, data, input.framing)
      end
    else -- a message source: frames on a pipe, a socket, a queue
      local msg, _, err = input.ch:recv(0)
      if msg == nil then
        if err ~= ipc.errno.EAGAIN and err ~= ipc.errno.ETIMEDOUT then
          self:end_input(input)
        end
        break
      elseif msg == "" and input.kind == "queue" then
        self:end_input(input) -- the end marker
        break
      else
        self:hub_push(hub, msg, input.framing)
      end
    end
  end
  self:hub_flush(hub)
end

-- Deliver one message to one output; true when done, false to retry later.
-- The bytes a message becomes on a raw output: a line gets its "\n", a
-- frame its length prefix ("frames", or no framing), raw goes as it is.
local function raw_bytes(out, msg, framing)
  if out.framing and framing ~= "marker" then framing = out.framing end
  if framing == "lines" and msg:sub(-1) ~= "\n" then return msg .. "\n" end
  if framing == nil or framing == "frames" then return string.pack("<s4", msg) end
  return msg
end

-- Write out.pend to a raw output without blocking: true when all of it
-- went (or the reader is gone: out.dead), false when the pipe is full
-- (the rest stays in out.pend for the next writable event).
function Host:raw_write(out)
  while #out.pend > 0 do
    local n, _, err, done = out.ch:write(out.pend, 0)
    if n == nil then
      if err == ipc.errno.EAGAIN or err == ipc.errno.ETIMEDOUT then
        out.pend = out.pend:sub((done or 0) + 1)
        return false
      end
      out.dead = true
      out.pend, out.batched = nil, nil
      return true
    end
    out.pend = out.pend:sub(n + 1)
  end
  out.pend, out.batched = nil, nil
  return true
end

-- Many queued messages for one raw output go in one write: a system call
-- (and the SIGPIPE guard around it) per message made a lines link cost
-- about 4 us a message. Up to RAW_BATCH bytes, stopping at a marker.
local RAW_BATCH = 64 * 1024

function Host:raw_batch(hub, out)
  local parts, size = {}, 0
  while hub_len(hub) > 0 and size < RAW_BATCH do
    local item = hub.queue[hub.qhead]
    if item[2] == "marker" then break end
    local b = raw_bytes(out, item[1], item[2])
    parts[#parts + 1] = b
    size = size + #b
    hub.queue[hub.qhead] = nil
    hub.qhead = hub.qhead + 1
  end
  if #parts == 0 then return false end
  out.pend, out.batched = table.concat(parts), true
  self:raw_write(out)
  return true
end

function Host:deliver(out, item)
  local msg, framing = item[1], item[2]
  if out.kind == "hub" then
    -- another hub in the host (a shared source's splitter feeding a link)
    if hub_len(out.hub) >= HIGH_WATER then return false end
    -- a message keeps its splitter's framing, except that frames take the
    -- link's (a message source into a raw target with lines)
    self:hub_push(out.hub, msg, framing == "frames" and out.framing or framing)
    out.hub.dirty = true
    return true
  end
  if out.kind == "raw" then
    if out.pend and out.batched then
      -- the rest of a batch (raw_batch) goes before this message
      if not self:raw_write(out) then return false end
      if out.dead then return true end
    end
    if out.pend == nil then out.pend = raw_bytes(out, msg, framing) end
    return self:raw_write(out)
  else
    local ok, _, err = out.ch:send(msg, 0)
    if ok then
      if item[2] == "marker" then out.markers_sent = (out.markers_sent or 0) + 1 end
      return true
    end
    if err == ipc.errno.EAGAIN or err == ipc.errno.ETIMEDOUT then return false end
    if err == ipc.errno.EMSGSIZE then
      -- longer than the queue takes (a line or a frame; raw chunks are cut
      -- to size): that one message is dropped, said, and the link goes on
      self:emit(string.format("ipc: link into %s: a message of %d bytes is longer than the %s takes: dropped\n",
                              out.label or "?", #msg, out.what or "queue"))
      return true
    end
    out.dead = true -- a consumer gone: the next one takes the message
    return false
  end
end

function Host:hub_flush(hub)
  while hub_len(hub) > 0 do
    local live = {}
    for _, o in ipairs(hub.outputs) do if not o.dead then live[#live + 1] = o end end
    if #live == 0 then
      if hub.drop_without_outputs then
        hub.queue, hub.qhead, hub.qtail = {}, 1, 0
      end
      break
    end
    if not hub.broadcast and #live == 1 and live[1].kind == "raw" then
      -- one raw reader: everything queued goes in one write
      local o = live[1]
      if o.pend then
        -- the rest of a batch, or of the item at the head (deliver)
        local head_item = not o.batched
        if not self:raw_write(o) then break end
        if head_item then
          hub.queue[hub.qhead] = nil
          hub.qhead = hub.qhead + 1
        end
        goto continue
      end
      if self:raw_batch(hub, o) then goto continue end
    end
    local item = hub.queue[hub.qhead]
    local sent = false
    if hub.broadcast then
      -- every live output gets the item; the item stays until they all have
      item.done = item.done or {}
      sent = true
      for _, o in ipairs(live) do
        if not item.done[o] then
          if self:deliver(o, item) then item.done[o] = true else sent = false end
        end
      end
      if not sent then break end
    end
    for k = 1, hub.broadcast and 0 or #live do
      local o = live[(hub.rr + k - 1) % #live + 1]
      if self:deliver(o, item) then
        hub.rr = (hub.rr + k) % #live
        sent = true
        break
      end
      if o.pend then break end -- a partial raw write must finish first
    end
    if not sent then break end
    hub.queue[hub.qhead] = nil
    hub.qhead = hub.qhead + 1
    ::continue::
  end
  if hub.qhead > 1 and hub_len(hub) == 0 then hub.queue, hub.qhead, hub.qtail = {}, 1, 0 end
  for _, o in ipairs(hub.outputs) do
    if o.kind == "hub" and o.hub.dirty then
      o.hub.dirty = false
      self:hub_flush(o.hub)
    end
  end
  -- back-pressure: pause the inputs while the queue is long
  local full = hub_len(hub) >= HIGH_WATER
  for _, input in ipairs(hub.inputs) do
    if input.open then
      if full and input.registered then
        pcall(function() self.poller:unregister(input.ch) end)
        input.registered = false
      elseif not full and not input.registered then
        assert(self.poller:register(input.ch, "r"))
        input.registered = true
      end
    end
  end
  if hub.parties <= 0 and hub_len(hub) == 0 and not hub.ended and hub.before_end then
    hub.before_end()
  end
  if hub.parties <= 0 and hub_len(hub) == 0 and not hub.ended then
    if hub.markers > 0 then
      for _ = 1, hub.markers do self:hub_push(hub, "", "marker") end
      hub.msgs = hub.msgs - hub.markers
      hub.markers = 0
      return self:hub_flush(hub)
    end
    hub.ended = true
    if hub.on_end then hub.on_end() end
  end
end

function Host:hub_busy()
  for _, hub in ipairs(self.hubs) do
    if hub_len(hub) > 0 then
      for _, o in ipairs(hub.outputs) do if not o.dead then return true end end
    end
  end
  return false
end

---------------------------------------------------------------- wiring

-- Wiring of one stage: what ipc.spawn gets.
local function wiring_for(st)
  if not st.wiring then st.wiring = {fds = {}, endpoints = {}, next_fd = 3} end
  return st.wiring
end

-- Give a stage a descriptor at a port: stdin/stdout/stderr directly, a
-- message port as fd:N. ch may be a plain list: one channel per replica
-- (Host:start picks the instance's).
local function give_fd(st, port, ch)
  local w = wiring_for(st)
  if RAW[port] then
    w[port] = ch
  else
    local n = w.next_fd
    w.next_fd = n + 1
    w.fds[n] = ch
    w.endpoints[port] = "fd:" .. n
  end
end

-- The framing of a link: raw to raw defaults to "raw" (bytes as they
-- come), anything else to "frames".
local function framing_of(l)
  if l.framing then return l.framing end
  if RAW[l.from.port] and RAW[l.to.port] then return "raw" end
  return "frames"
end

-- How a pump reads a source port: raw bytes cut by lines/chunks, or
-- frames (a message port always writes frames).
local function input_kind(l)
  if RAW[l.from.port] and framing_of(l) ~= "frames" then return "raw" end
  return "msg"
end

local function give_url(st, port, url)
  wiring_for(st).endpoints[port] = url
end

function Host:pipe()
  local r, w = ipc.pipe()
  if not r then self:fail("pipe: " .. tostring(w)) end
  self:hold(r)
  self:hold(w)
  return r, w
end

-- A FIFO in our directory, opened both ways by the host.
function Host:fifo(index)
  local url = names.for_link(self.pid, index, "fifo")
  local path = url:sub(6)
  self.made[#self.made + 1] = url
  local r, msg = ipc.fifo(path, "r", {create = true, exclusive = true, mode = 384})
  if not r then self:fail(msg) end
  local w, msg2 = ipc.fifo(path, "w", {timeout = 1})
  if not w then r:close(); self:fail(msg2) end
  self:hold(r)
  self:hold(w)
  return r, w
end

function Host:stream(via, index)
  if via == "fifo" then return self:fifo(index) end
  return self:pipe()
end

-- A raw source feeding a hub: a host pipe whose write end is the stage's
-- stdout/stderr (or fd:N for a message source), read by the hub.
function Host:pump_from(hub, stage, port, framing, kind)
  local r, w = self:pipe()
  give_fd(stage, port, w)
  self:keep_end(w, {stage.spec.name})
  hub.parties = hub.parties + 1
  self:add_input(hub, {kind = kind, ch = r, framing = framing, buf = "", closes = true})
end

-- Link l's source feeding hub: through its shared source's splitter, or
-- pumped from the stage directly.
function Host:feed(hub, l)
  local split = self.split[l]
  if split then
    split.outputs[#split.outputs + 1] = {kind = "hub", hub = hub, framing = framing_of(l)}
    hub.parties = hub.parties + 1
  else
    self:pump_from(hub, self.stages[l.from.stage], l.from.port, framing_of(l), input_kind(l))
  end
end

-- A source port that feeds several links: one pump from the stage into a
-- splitter hub whose outputs are the links' hubs (every one of them for
-- fanout = "broadcast", else round robin).
function Host:setup_splitters(sources)
  self.split = {}
  for _, key in ipairs(sources.order) do
    local list = sources[key]
    if #list > 1 then
      local first = list[1]
      local split = self:new_hub(key .. " (split)")
      for _, l in ipairs(list) do
        if l.fanout == "broadcast" then split.broadcast = true end
        self.split[l] = split
      end
      split.drop_without_outputs = false
      split.on_end = function()
        for _, o in ipairs(split.outputs) do self:party_done(o.hub) end
      end
      -- a raw source is cut in lines when any of its links wants lines
      -- (a line suits a raw target as well), else read as its first
      -- link says; a message source gives frames
      local framing = "frames"
      if RAW[first.from.port] then
        framing = first.framing or "raw"
        for _, l in ipairs(list) do if l.framing == "lines" then framing = "lines" end end
      end
      local kind = framing == "frames" and "msg" or "raw"
      self:pump_from(split, self.stages[first.from.stage], first.from.port, framing, kind)
    end
  end
end

function Host:setup_group(g)
  local via = g.via
  local target = self.stages[g.to.stage]
  local tport = g.to.port
  local traw = RAW[tport]
  local index = g.index
  local tname = g.to.stage .. "." .. tport

  if STREAM[via] then
    -- direct unless a link needs lines/raw adapting, a source is shared or
    -- the target has replicas (one pipe per replica, fed round robin)
    local adapt = false
    local replicas = target.spec.replicas or 1
    for _, l in ipairs(g.links) do
      local sraw = RAW[l.from.port]
      if sraw ~= traw and (l.framing == "lines" or l.framing == "raw") then adapt = true end
      if sraw and traw and l.framing and l.framing ~= "raw" then adapt = true end
      if self.split[l] then adapt = true end
    end
    if replicas > 1 then
      local hub = self:new_hub(tname)
      local reads, writes = {}, {}
      for i = 1, replicas do
        local r, w = self:pipe()
        reads[i], writes[i] = r, w
        self:keep_end(r, {target.spec.name})
        hub.outputs[i] = {kind = traw and "raw" or "msg", ch = w}
      end
      give_fd(target, tport, reads)
      hub.on_end = function() for _, w in ipairs(writes) do self:poller_safe_close(w) end end
      for _, l in ipairs(g.links) do self:feed(hub, l) end
      g.hub = hub
      return
    end
    local r, w = self:stream(via, index)
    give_fd(target, tport, r)
    self:keep_end(r, {target.spec.name})
    if not adapt then
      local users = {}
      for _, l in ipairs(g.links) do
        give_fd(self.stages[l.from.stage], l.from.port, w)
        users[#users + 1] = l.from.stage
      end
      self:keep_end(w, users)
      g.stats = {via = via, direct = true}
      return
    end
    local hub = self:new_hub(tname)
    hub.outputs[1] = {kind = traw and "raw" or "msg", ch = w}
    hub.on_end = function() self:poller_safe_close(w) end
    for _, l in ipairs(g.links) do self:feed(hub, l) end
    g.hub = hub
    return
  end

  if QUEUE[via] then
    local url = names.for_link(self.pid, index, via)
    local opts = {create = true, exclusive = true}
    if via == "sysvmq" then
      names.record_sysv(self.pid, "sysvmq", math.tointeger(tonumber(url:match(":(.*)$"))))
    end
    if via == "ring" and g.capacity then opts.capacity = g.capacity end
    if via == "mq" and g.max_messages then opts.max_messages = g.max_messages end
    if g.max_message_size then opts.max_message_size = g.max_message_size end
    self.made[#self.made + 1] = url
    g.url = url
    local ch, msg = ipc.open(url, "rw", opts)
    if not ch then self:fail(msg) end
    self:hold(ch)
    g.ch = ch
    -- the feeder: raw sources pumped in, then the end markers
    local feeder = self:new_hub(tname .. " (in)")
    feeder.outputs[1] = {kind = "msg", ch = ch, label = tname, what = via}
    -- raw chunks (up to 64 KiB) are cut to the queue's message size
    local okm, max = pcall(ch.max_message, ch)
    if okm and math.type(max) == "integer" and max > 0 then feeder.piece = max end
    feeder.markers = traw and 1 or (target.spec.replicas or 1)
    for _, l in ipairs(g.links) do
      local src = self.stages[l.from.stage]
      if self.split[l] or RAW[l.from.port] then
        self:feed(feeder, l)
        feeder.pumped = true
      else
        give_url(src, l.from.port, url)
        g.direct = true
        feeder.parties = feeder.parties + 1
        src.producer_of[#src.producer_of + 1] = feeder
      end
    end
    if traw then
      -- the drain: the queue into the target's raw port
      local r, w = self:pipe()
      give_fd(target, tport, r)
      self:keep_end(r, {target.spec.name})
      local drain = self:new_hub(tname)
      drain.outputs[1] = {kind = "raw", ch = w}
      drain.on_end = function() self:poller_safe_close(w) end
      local rch = ipc.open(url, "r")
      self:hold(rch)
      drain.parties = 1
      self:add_input(drain, {kind = "queue", ch = rch, framing = framing_of(g.links[1])})
      g.hub = drain
    else
      give_url(target, tport, url)
    end
    g.feeder = feeder
    return
  end

  if RELAY[via] then
    local hub = self:new_hub(tname)
    g.hub = hub
    local function listen(side)
      local url = names.for_link(self.pid, index, via, side)
      local lopts = {max_message_size = g.max_message_size}
      if via == "unix" then lopts.exclusive = true end
      local l, msg = ipc.listen(url, lopts)
      if not l then self:fail(msg) end
      if via == "unix" then self.made[#self.made + 1] = url end
      self:hold(l)
      return l, l:url()
    end
    if traw then
      local r, w = self:pipe()
      give_fd(target, tport, r)
      self:keep_end(r, {target.spec.name})
      hub.outputs[1] = {kind = "raw", ch = w}
      hub.on_end = function() self:poller_safe_close(w) end
    else
      local l, url = listen("to")
      give_url(target, tport, url)
      hub.drop_without_outputs = false -- a consumer may (re)connect
      self.handlers[l] = function()
        local c = l:accept(0)
        if c and hub.ended then
          -- a consumer (a slow replica) that connects after the input
          -- ended: on_end closed the others, so its end is now
          c:close()
        elseif c then
          self:hold(c)
          hub.outputs[#hub.outputs + 1] = {kind = "msg", ch = c}
          self:hub_flush(hub)
        end
      end
      assert(self.poller:register(l, "r"))
      hub.on_end = function()
        for _, o in ipairs(hub.outputs) do self:poller_safe_close(o.ch) end
        hub.outputs = {}
      end
    end
    local from_l, from_url
    for _, l in ipairs(g.links) do
      local src = self.stages[l.from.stage]
      if self.split[l] or RAW[l.from.port] then
        self:feed(hub, l)
      else
        if not from_l then
          from_l, from_url = listen("from")
          local function accept()
            local c = from_l:accept(0)
            if c then
              self:hold(c)
              hub.parties = hub.parties + 1
              -- the link's framing: into a raw target (one link) it says
              -- how each message is written (a line, a frame, raw)
              self:add_input(hub, {kind = "msg", ch = c, framing = framing_of(g.links[1]), closes = true})
            end
            return c
          end
          self.handlers[from_l] = accept
          -- a producer that connected and ended before we accepted
          hub.before_end = function() while accept() do end end
          assert(self.poller:register(from_l, "r"))
        end
        give_url(src, l.from.port, from_url)
        hub.parties = hub.parties + 1
        src.producer_of[#src.producer_of + 1] = hub
      end
    end
    return
  end
  self:fail("link into " .. tname .. ": unknown via '" .. tostring(via) .. "'")
end

function Host:setup_links()
  local groups, by_target, sources = {}, {}, {}
  for i, l in ipairs(self.plan.links or {}) do
    local via = l.via or "pipe"
    local skey = l.from.stage .. "." .. l.from.port
    if not sources[skey] then
      sources[skey] = {}
      sources.order = sources.order or {}
      sources.order[#sources.order + 1] = skey
    end
    table.insert(sources[skey], l)
    local key = l.to.stage .. "." .. l.to.port
    local g = by_target[key]
    if not g then
      g = {index = i, via = via, to = l.to, links = {}, capacity = l.capacity}
      by_target[key] = g
      groups[#groups + 1] = g
    elseif g.via ~= via then
      self:fail("links into " .. key .. " use different via kinds ("
                .. g.via .. ", " .. via .. "): not supported")
    end
    g.links[#g.links + 1] = l
    g.max_messages = g.max_messages or l.max_messages
    g.max_message_size = g.max_message_size or l.max_message_size
  end
  self.groups = groups
  if #groups > 0 then
    -- our directory: FIFOs, sockets, the System V manifest
    local p = ipc.spawn({"mkdir", "-m", "700", names.dir(self.pid)}, {stdin = "null"})
    if not p or p:wait(10) ~= 0 then self:fail("cannot create " .. names.dir(self.pid)) end
    p:close()
    self.dir_made = true
    -- our start time, before any object: a later gc tells us from
    -- another process that got our pid (names.lua, "Liveness")
    local rok, rerr = names.record_host(self.pid)
    if not rok then self:fail("cannot record the host's start time: " .. tostring(rerr)) end
  end
  sources.order = sources.order or {}
  self:setup_splitters(sources)
  for _, g in ipairs(groups) do self:setup_group(g) end
end

---------------------------------------------------------------- stages

function Host:argv_of(spec)
  local argv = {}
  local function add(list) for _, a in ipairs(list or {}) do argv[#argv + 1] = a end end
  if spec.kind == "lua" then
    add(self.opts.lua_argv or {host_binary()})
    argv[#argv + 1] = spec.script
    add(spec.args)
  elseif spec.kind == "python" then
    add(self.opts.python_argv or {os.getenv("IPC_HOST_PYTHON") or "/usr/bin/python3"})
    argv[#argv + 1] = spec.script
    add(spec.args)
  elseif spec.kind == "native" then
    -- the worker is the host's own binary, in a process of its own
    add({host_binary(), "__native-stage", spec.native.lib, spec.native.fn, spec.native.sig})
  else
    add(spec.argv)
  end
  return argv
end

function Host:env_of(spec, inst)
  local env = {}
  for k, v in pairs(self.base_env) do env[k] = v end
  for k, v in pairs(self.opts.env or {}) do env[k] = v end
  if spec.kind == "python" then
    local pp = os.getenv("IPC_HOST_PYTHONPATH")
    if pp and pp ~= "" then
      env.PYTHONPATH = env.PYTHONPATH and (pp .. ":" .. env.PYTHONPATH) or pp
    end
  end
  for k, v in pairs(spec.env or {}) do env[k] = tostring(v) end
  env.IPC_ENDPOINTS = nil -- spawn sets it from `endpoints`
  env.IPC_STAGE = spec.name
  env.IPC_REPLICA = inst and tostring(inst.index) or "1"
  return env
end

function Host:start(inst)
  local st = inst.stage
  local spec = st.spec
  local w = st.wiring or {fds = {}, endpoints = {}}
  local function pick(x)
    if type(x) == "table" and not getmetatable(x) then return x[inst.index] end
    return x
  end
  local fds = {}
  for n, ch in pairs(w.fds) do fds[n] = pick(ch) end
  local env = self:env_of(spec, inst)
  local ready_w
  if spec.ready then
    local n = 3
    for k in pairs(fds) do if k >= n then n = k + 1 end end
    local r
    r, ready_w = ipc.pipe()
    if not r then self:fail("pipe: " .. tostring(ready_w)) end
    fds[n] = ready_w
    env.IPC_READY_FD = tostring(n)
    self:hold(r)
    self.handlers[r] = function()
      local data, _, err = r:read(64, 0)
      if data == nil and err == ipc.errno.EAGAIN then return end
      -- a byte, or the end (closed, or the stage ended): ready
      self.handlers[r] = nil
      self:poller_safe_close(r)
      if not inst.ready then
        inst.ready = true
        self:check_ready(st)
      end
    end
    assert(self.poller:register(r, "r"))
  end
  local stderr, log_w = pick(w.stderr), nil
  if not stderr and not self.opts.no_prefix then
    local r
    r, log_w = ipc.pipe()
    if r then
      self:add_log(r, inst)
      stderr = log_w
    end
  end
  local p, msg = ipc.spawn(self:argv_of(spec), {
    stdin = pick(w.stdin) or "null", stdout = pick(w.stdout), stderr = stderr,
    fds = next(fds) and fds or nil,
    endpoints = next(w.endpoints) and w.endpoints or nil,
    env = env, cwd = spec.cwd,
    new_group = true, pdeathsig = true,
  })
  if log_w then log_w:close() end
  if ready_w then ready_w:close() end
  if spec.ready and not st.ready_timer then
    local limit = spec.ready_timeout or 10
    st.ready_timer = true
    self.timers[#self.timers + 1] = {at = ipc.now() + limit, fn = function()
      if not st.ready and not self.stopping then
        self.ready_failure = string.format("stage '%s' not ready after %g s", spec.name, limit)
        self:stop("TERM")
      end
    end}
  end
  inst.started = ipc.now()
  inst.runs = inst.runs + 1
  if not p then
    -- counts as a failure (status 127, as a shell says)
    self.say("ipc: stage '" .. inst.label .. "': " .. tostring(msg) .. "\n")
    inst.proc = nil
    self:exited(inst, 127)
    return
  end
  inst.proc = p
  inst.state = "running"
  self.handlers[p] = function()
    local code = p:wait(0)
    if code then
      pcall(function() self.poller:unregister(p) end)
      self.handlers[p] = nil
      p:close()
      inst.proc = nil
      self:exited(inst, code)
    end
  end
  assert(self.poller:register(p, "r"))
end

-- A stage's stderr, prefixed: "[name] line" ("[name#i]" for replica i).
function Host:add_log(r, inst)
  local spec = inst.stage.spec
  local log = {ch = r, buf = "", open = true,
               prefix = "[" .. spec.name .. ((spec.replicas or 1) > 1 and ("#" .. inst.index) or "") .. "] "}
  self.logs[log] = true
  self.handlers[r] = function() self:read_log(log) end
  assert(self.poller:register(r, "r"))
end

function Host:emit(s)
  if self.status then self.status:clear() end
  self.say(s)
end

function Host:read_log(log, final)
  for _ = 1, final and 1024 or 16 do
    local data, _, err = log.ch:read(CHUNK, 0)
    if data == nil and err == ipc.errno.EAGAIN and not final then break end
    if data == nil or data == "" then
      if log.buf ~= "" then self:emit(log.prefix .. log.buf .. "\n") end
      log.buf = ""
      self.logs[log] = nil
      self.handlers[log.ch] = nil
      self:poller_safe_close(log.ch)
      return
    end
    local s = log.buf .. data
    local out, pos = {}, 1
    while true do
      local nl = s:find("\n", pos, true)
      if not nl then break end
      out[#out + 1] = log.prefix .. s:sub(pos, nl)
      pos = nl + 1
    end
    log.buf = s:sub(pos)
    if #log.buf >= CHUNK then -- a very long line: cut it
      out[#out + 1] = log.prefix .. log.buf .. "\n"
      log.buf = ""
    end
    if #out > 0 then self:emit(table.concat(out)) end
  end
end

-- What the stages wrote to stderr before they ended (at the end of the run).
function Host:drain_logs()
  local list = {}
  for log in pairs(self.logs) do list[#list + 1] = log end
  for _, log in ipairs(list) do self:read_log(log, true) end
end

-- Every instance of a `ready` stage has signalled: start what waited.
function Host:check_ready(st)
  for _, i in ipairs(st.instances) do if not i.ready then return end end
  st.ready = true
  self:start_pending()
end

-- Start each stage not started yet whose ready producers are all ready.
function Host:start_pending()
  if self.stopping then return end
  local all = true
  for _, name in ipairs(self.order) do
    local st = self.stages[name]
    if not st.started then
      local go = true
      for dep in pairs(self.deps[name] or {}) do
        if not self.stages[dep].ready then go = false end
      end
      if go then
        st.started = true
        for _, inst in ipairs(st.instances) do self:start(inst) end
      else
        all = false
      end
    end
  end
  if all and not self.started_all then
    self.started_all = true
    self:release_ends()
  end
end

function Host:exited(inst, code)
  local spec = inst.stage.spec
  local now = ipc.now()
  inst.code = code
  inst.state = "exited"
  local policy = spec.restart or "no"
  local again = not self.stopping and
      (policy == "always" or (policy == "on-failure" and code ~= 0))
  local window = spec.failure_window or 10
  if now - inst.started >= window then
    inst.fails = 0
    inst.delay = spec.backoff or 1
  end
  if code ~= 0 then inst.fails = inst.fails + 1 end
  local limit = spec.max_failures or 5
  if again and code ~= 0 and limit > 0 and inst.fails >= limit then
    self.say(string.format("ipc: stage '%s' failed %d times in a row: giving up\n",
                           inst.label, inst.fails))
    again = false
  end
  if again then
    inst.state = "waiting"
    local delay = inst.delay
    inst.delay = math.min(inst.delay * 2, 60)
    inst.restarts = inst.restarts + 1
    self.timers[#self.timers + 1] = {at = now + delay, fn = function()
      if inst.state == "waiting" and not self.stopping then self:start(inst) end
    end}
    return
  end
  inst.state = "done"
  inst.ended = now
  if code ~= 0 and not self.first_failure and not (self.stopping and self.stop_signal) then
    self.first_failure = {label = inst.label, code = code}
  end
  local st = inst.stage
  for _, i in ipairs(st.instances) do
    if i.state ~= "done" then return end
  end
  st.done = true
  for _, hub in ipairs(st.producer_of) do self:party_done(hub) end
  self:release_ends()
end

function Host:all_done()
  for _, name in ipairs(self.order) do
    if not self.stages[name].done then return false end
  end
  return true
end

function Host:stop(signame)
  if not self.stopping then
    self.stopping = true
    self.kill_at = {}
  end
  for _, name in ipairs(self.order) do
    local st = self.stages[name]
    for _, inst in ipairs(st.instances) do
      if inst.state == "new" then
        inst.started = ipc.now()
        inst.never = true
        self:exited(inst, 0)
      elseif inst.state == "waiting" then
        inst.state = "exited"
        self:exited(inst, inst.code or 0)
      elseif inst.proc and inst.state == "running" then
        local ok, r = pcall(inst.proc.kill_group, inst.proc, signame)
        if not (ok and r) then pcall(inst.proc.kill, inst.proc, signame) end
        if signame ~= "KILL" and not inst.kill_deadline then
          inst.kill_deadline = ipc.now() + (st.spec.kill_timeout or 5)
        end
      end
    end
  end
end

-- A signal to every running stage instance's process group.
function Host:forward(signame)
  for _, name in ipairs(self.order) do
    for _, inst in ipairs(self.stages[name].instances) do
      if inst.proc and inst.state == "running" then
        local ok, r = pcall(inst.proc.kill_group, inst.proc, signame)
        if not (ok and r) then pcall(inst.proc.kill, inst.proc, signame) end
      end
    end
  end
end

---------------------------------------------------------------- status

-- The queue depth of a queue link (messages waiting), or nil.
function Host:depth(g)
  if not g.url then return g.hub and hub_len(g.hub) or nil end
  if g.stat_handle == nil then
    local kind, rest = g.url:match("^(%w+):(.*)$")
    local ok, h = pcall(function()
      if kind == "mq" then return ipc.mqueue(rest)
      elseif kind == "ring" then return ipc.ring(rest)
      elseif kind == "sysvmq" then return ipc.sysvmq(rest) end
    end)
    g.stat_handle = ok and h or false
    if g.stat_handle then self:hold(g.stat_handle) end
  end
  local h = g.stat_handle
  if not h then return nil end
  local ok, n = pcall(function()
    if g.via == "mq" then return h:attributes().messages
    elseif g.via == "ring" then local st = h:stats(); return st.msgs_in - st.msgs_out
    else return h:stat().messages end
  end)
  return ok and n or nil
end

-- A link group's counters: messages, bytes (nil when nothing counts them)
-- and whether the host pumps it. The messages that went INTO the link:
--   ring      the ring's own counters (msgs_in, bytes_in: every producer,
--             pumped or writing directly), less the host's end markers;
--   mq, sysvmq  the kernel keeps no totals, only the depth (Host:depth):
--             the drain's counts when the host reads the queue into a raw
--             port (every producer's messages pass there), else the
--             feeder's when the host pumps every producer in, else nil;
--   others    the host's pump (the hub), or nil for a direct pipe/FIFO.
function Host:counts(g)
  local pumped = (g.hub or g.feeder and g.feeder.pumped) and true or false
  if g.via == "ring" and g.ch then
    local ok, st = pcall(g.ch.stats, g.ch)
    if ok and st then
      local out = g.feeder and g.feeder.outputs[1]
      return st.msgs_in - (out and out.markers_sent or 0), st.bytes_in, pumped
    end
  end
  local hub = g.hub
  if QUEUE[g.via] and not hub and g.feeder and g.feeder.pumped and not g.direct then
    hub = g.feeder
  end
  if not hub then return nil, nil, pumped end
  return hub.msgs, hub.bytes, pumped
end

-- What the status lines show (see status.lua).
function Host:snapshot()
  local snap = {elapsed = ipc.now() - (self.t0 or ipc.now()), stages = {}, links = {}}
  for _, name in ipairs(self.order) do
    local st = self.stages[name]
    local pids, restarts, running, state = {}, 0, 0, nil
    for _, inst in ipairs(st.instances) do
      restarts = restarts + inst.restarts
      if inst.proc then pids[#pids + 1] = inst.proc:pid() end
      if inst.state == "running" then running = running + 1 end
      state = state or inst.state
    end
    if #st.instances > 1 then state = running .. "/" .. #st.instances .. " running"
    elseif st.spec.ready and state == "running" and not st.ready then state = "starting" end
    if st.done then state = "done" end
    snap.stages[#snap.stages + 1] = {name = name, state = state, pids = pids, restarts = restarts}
  end
  for _, g in ipairs(self.groups or {}) do
    local ends = {}
    for _, l in ipairs(g.links) do ends[#ends + 1] = l.from.stage .. "." .. l.from.port end
    local msgs, bytes = self:counts(g)
    snap.links[#snap.links + 1] = {
      name = table.concat(ends, "+") .. " -> " .. g.to.stage .. "." .. g.to.port,
      via = g.via, messages = msgs, bytes = bytes, depth = self:depth(g)}
  end
  return snap
end

---------------------------------------------------------------- loop

function Host:next_timeout()
  local now = ipc.now()
  local t = 1.0
  for _, tm in ipairs(self.timers) do t = math.min(t, tm.at - now) end
  for _, name in ipairs(self.order) do
    for _, inst in ipairs(self.stages[name].instances) do
      if inst.kill_deadline and inst.proc then t = math.min(t, inst.kill_deadline - now) end
    end
  end
  if self:hub_busy() then t = math.min(t, 0.01) end
  if self.status then t = math.min(t, status.INTERVAL) end
  return math.max(t, 0)
end

function Host:loop()
  while not self:all_done() do
    local events = self.poller:poll(self:next_timeout())
    for _, ev in ipairs(events) do
      local h = self.handlers[ev[1]]
      if h then h(ev[2]) end
    end
    local now = ipc.now()
    local due = {}
    local keep = {}
    for _, tm in ipairs(self.timers) do
      if tm.at <= now then due[#due + 1] = tm else keep[#keep + 1] = tm end
    end
    self.timers = keep
    for _, tm in ipairs(due) do tm.fn() end
    for _, hub in ipairs(self.hubs) do
      if hub_len(hub) > 0 then self:hub_flush(hub) end
    end
    if self.status then self.status:update(self:snapshot()) end
    if self.native and now >= (self.next_reap or 0) then
      self.next_reap = now + 0.5
      self:reap_orphans(false)
    end
    if self.stopping then
      for _, name in ipairs(self.order) do
        for _, inst in ipairs(self.stages[name].instances) do
          if inst.proc and inst.kill_deadline and now >= inst.kill_deadline then
            inst.kill_deadline = nil
            pcall(inst.proc.kill_group, inst.proc, "KILL")
            pcall(inst.proc.kill, inst.proc, "KILL")
          end
        end
      end
    end
  end
end

---------------------------------------------------------------- cleanup

function Host:cleanup()
  -- every child killed and reaped
  for _, name in ipairs(self.order) do
    for _, inst in ipairs(self.stages[name].instances) do
      local p = inst.proc
      if p then
        pcall(p.kill_group, p, "KILL")
        pcall(p.kill, p, "KILL")
        pcall(p.wait, p, 5)
        pcall(p.close, p)
        inst.proc = nil
      end
    end
  end
  pcall(self.reap_orphans, self, true)
  for _, ch in ipairs(self.chans) do pcall(ch.close, ch) end
  for log in pairs(self.logs) do pcall(log.ch.close, log.ch) end
  if self.sigs then pcall(self.sigs.close, self.sigs) end
  if self.poller then pcall(self.poller.close, self.poller) end
  for _, url in ipairs(self.made) do pcall(ipc.unlink, url) end
  if self.dir_made then
    os.remove(names.dir(self.pid) .. "/sysv")
    os.remove(names.dir(self.pid) .. "/start")
    os.remove(names.dir(self.pid))
  end
end

function Host:report()
  local stages, links = {}, {}
  for _, name in ipairs(self.order) do
    local st = self.stages[name]
    local worst, restarts, runtime = 0, 0, 0
    for _, inst in ipairs(st.instances) do
      restarts = restarts + inst.restarts
      if inst.code and inst.code ~= 0 and worst == 0 then worst = inst.code end
      runtime = math.max(runtime, (inst.ended or ipc.now()) - (self.t0 or ipc.now()))
    end
    stages[#stages + 1] = {name = name, kind = st.spec.kind or "cmd",
                           replicas = #st.instances, status = worst,
                           exit = exit_status(worst), restarts = restarts,
                           seconds = runtime}
    if not self.opts.quiet then
      self.say(string.format("ipc: stage '%s': %s%s, %.2f s\n", name,
        st.instances[1].never and "not started" or worst == 0 and "exited 0" or status_text(worst),
        restarts > 0 and (", " .. restarts .. (restarts == 1 and " restart" or " restarts")) or "",
        runtime))
    end
  end
  for _, g in ipairs(self.groups or {}) do
    local msgs, bytes, pumped = self:counts(g)
    local depth = QUEUE[g.via] and self:depth(g) or nil
    for _, l in ipairs(g.links) do
      links[#links + 1] = {from = l.from.stage .. "." .. l.from.port,
                           to = l.to.stage .. "." .. l.to.port, via = g.via,
                           pumped = pumped, messages = msgs or 0, bytes = bytes or 0,
                           counted = msgs ~= nil, depth = depth}
    end
  end
  if self.opts.stats_json then
    local f = io.open(self.opts.stats_json, "w")
    if f then
      f:write(M.json({stages = stages, links = setmetatable(links, ARRAY)}), "\n")
      f:close()
    else
      self.say("ipc: cannot write " .. self.opts.stats_json .. "\n")
    end
  end
end

---------------------------------------------------------------- run

-- Orphans. Run by the ipc binary, the host is the child subreaper of its
-- stages: what a stage leaves running (a shell's background job, a
-- daemonised grandchild) is adopted by the host instead of init. Ended
-- orphans are reaped as the loop goes (no zombie stays), and those still
-- running when the run ends are killed and reaped with it: no process of
-- the pipeline outlives the host. (Run from plain lua5.4, without the
-- host's native module, there is no subreaper.)
function Host:managed_pids()
  local set = {}
  for _, name in ipairs(self.order) do
    for _, inst in ipairs(self.stages[name].instances) do
      if inst.proc then
        local ok, pid = pcall(inst.proc.pid, inst.proc)
        if ok and pid then set[pid] = true end
      end
    end
  end
  return set
end

function Host:reap_orphans(kill)
  local native = self.native
  if not (native and native.children) then return end
  local managed = self:managed_pids()
  local orphans = {}
  for _, pid in ipairs(native.children()) do
    if not managed[pid] and not native.reap(pid) then orphans[#orphans + 1] = pid end
  end
  if not kill then return end
  for _, pid in ipairs(orphans) do pcall(ipc.send_signal, pid, "KILL") end
  local deadline = ipc.now() + 2
  while #orphans > 0 and ipc.now() < deadline do
    local left = {}
    for _, pid in ipairs(orphans) do
      if not native.reap(pid) then left[#left + 1] = pid end
    end
    orphans = left
    if #orphans > 0 then os.execute("sleep 0.01") end
  end
end

function Host:main()
  local plan = self.plan
  local has_native, native = pcall(require, "ipc.host.native")
  if has_native and native.subreaper then
    self.native = native
    native.subreaper()
  end
  if not self.opts.no_gc then pcall(names.gc) end
  self.base_env = our_env()
  self.poller = assert(ipc.poller())
  self.sigs = assert(ipc.signalset({"INT", "TERM", "HUP"}))
  self.handlers[self.sigs] = function()
    local info = self.sigs:wait(0)
    while info and info.signo == 1 do -- SIGHUP: forwarded to every stage
      self:forward("HUP")
      info = self.sigs:wait(0)
    end
    while info do
      if not self.stop_signal then self.stop_signal = info.signo end
      self:stop(self.stopping_twice and "KILL" or "TERM")
      self.stopping_twice = true
      info = self.sigs:wait(0)
      while info and info.signo == 1 do self:forward("HUP"); info = self.sigs:wait(0) end
    end
  end
  assert(self.poller:register(self.sigs, "r"))
  for _, spec in ipairs(plan.stages) do
    local st = {spec = spec, instances = {}, producer_of = {}, done = false}
    for i = 1, spec.replicas or 1 do
      st.instances[i] = {stage = st, index = i, runs = 0, restarts = 0, fails = 0,
                         delay = spec.backoff or 1, state = "new",
                         label = (spec.replicas or 1) > 1 and (spec.name .. "[" .. i .. "]") or spec.name}
    end
    self.stages[spec.name] = st
    self.order[#self.order + 1] = spec.name
  end
  self:setup_links()
  -- readiness: a stage that consumes a `ready` stage's output waits for it
  self.deps = {}
  for _, l in ipairs(plan.links or {}) do
    local from = self.stages[l.from.stage]
    if from and from.spec.ready and l.from.stage ~= l.to.stage then
      self.deps[l.to.stage] = self.deps[l.to.stage] or {}
      self.deps[l.to.stage][l.from.stage] = true
    end
  end
  self.t0 = ipc.now()
  if self.opts.status then
    self.status = status.new(function(s) self.say(s) end, ipc.now)
  end
  self:start_pending()
  for _, hub in ipairs(self.hubs) do self:hub_flush(hub) end
  self:loop()
  self:drain_logs()
end

function M.run(plan, opts)
  opts = opts or {}
  local H = new_host(plan, opts)
  local ok, err = xpcall(Host.main, function(e)
    if type(e) == "table" and e.ipc_host then return e end
    return debug.traceback(tostring(e), 2)
  end, H)
  if H.status then pcall(H.status.clear, H.status) end
  local rok, rerr = pcall(Host.report, H)
  H:cleanup()
  if not rok then H.say("ipc: " .. tostring(rerr) .. "\n") end
  if not ok then
    if type(err) == "table" then
      H.say("ipc: " .. err.ipc_host .. "\n")
      return 1
    end
    error(err, 0)
  end
  if H.ready_failure then
    H.say("ipc: " .. H.ready_failure .. "\n")
    return 1
  end
  if H.stop_signal then return 128 + H.stop_signal end
  if H.first_failure then
    H.say(string.format("ipc: stage '%s' %s\n", H.first_failure.label,
                        status_text(H.first_failure.code)))
    return exit_status(H.first_failure.code)
  end
  return 0
end

return M
