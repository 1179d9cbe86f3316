--- ipc.host.graph: a validated plan (ipc.host.config) as Graphviz DOT.
--
-- Stages are boxes labelled with their name, kind (cmd, lua, python,
-- native with its function's name),
-- "x N" when replicated and "ready" when the stage signals readiness;
-- links are edges from stage to stage, the ports
-- as tail and head labels and the edge labelled with its via, framing,
-- capacity and "broadcast". The text is deterministic: stages in the
-- plan's (name) order, links in config order.
local graph = {}

local function quote(s)
  return '"' .. tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"'
end

--- A size in bytes the way a config writes it (4194304 -> "4MiB").
function graph.size(n)
  for _, u in ipairs({{30, "GiB"}, {20, "MiB"}, {10, "KiB"}}) do
    if n >= (1 << u[1]) and n % (1 << u[1]) == 0 then
      return string.format("%d%s", n >> u[1], u[2])
    end
  end
  return tostring(n)
end

--- The DOT text of a plan.
function graph.dot(plan)
  local out = {}
  local function add(fmt, ...) out[#out + 1] = string.format(fmt, ...) end
  add("digraph %s {", quote(plan.name or "pipeline"))
  add("  rankdir=LR;")
  add('  node [shape=box, fontname="monospace"];')
  add('  edge [fontname="monospace", fontsize=10];')
  for _, s in ipairs(plan.stages) do
    local label = s.name .. "\n" .. s.kind
    if s.kind == "native" and s.native then label = label .. " " .. s.native.fn end
    if s.replicas and s.replicas > 1 then label = label .. " x" .. s.replicas end
    if s.ready then label = label .. "\nready" end
    add("  %s [label=%s];", quote(s.name), quote(label))
  end
  for _, l in ipairs(plan.links) do
    local parts = {l.via}
    if l.framing then parts[#parts + 1] = l.framing end
    if l.capacity then parts[#parts + 1] = graph.size(l.capacity) end
    if l.fanout then parts[#parts + 1] = l.fanout end
    add("  %s -> %s [label=%s, taillabel=%s, headlabel=%s%s];",
        quote(l.from.stage), quote(l.to.stage), quote(table.concat(parts, " ")),
        quote(l.from.port), quote(l.to.port),
        l.via == "pipe" and "" or ", style=bold")
  end
  add("}")
  return table.concat(out, "\n") .. "\n"
end

--- Whether Graphviz's dot is on PATH.
function graph.have_dot()
  return os.execute("command -v dot >/dev/null 2>&1") == true
end

--- Render DOT text to SVG with `dot -Tsvg`, written to the file handle out
-- (default io.stdout).
-- @return true, or nil and a message
function graph.svg(dot_text, out)
  if not graph.have_dot() then
    return nil, "--svg needs Graphviz's dot on PATH (Debian: apt-get install graphviz); without --svg the DOT text is printed"
  end
  -- popen is one way: the DOT goes through a temporary file
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  f:write(dot_text)
  f:close()
  local p = io.popen("dot -Tsvg < '" .. tmp:gsub("'", "'\\''") .. "'", "r")
  local svg = p:read("a")
  local ok, _, code = p:close()
  os.remove(tmp)
  if not ok then return nil, string.format("dot -Tsvg failed (status %s)", tostring(code)) end
  ;(out or io.stdout):write(svg)
  return true
end

return graph
