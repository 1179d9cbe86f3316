-- Native stages: C functions from a shared library as pipeline stages,
-- with no binding written for them (docs/native.md, "Native stages"):
--
--   cat input.txt | <upper-case each line> | <CRC-32C of each line> | sort | check
--
-- upper and crc are functions of the example stage library
-- (examples/native/stages.c, libipc_stages.so), each called once per
-- message in a worker process of its own; crc runs twice (replicas = 2),
-- the two sharing a ring. The last stage, check.sh, compares the result
-- with expected.txt and fails the run on a difference.
--
-- The library is found through the environment, since it lives in the
-- build tree: IPC_STAGES_LIB=build/examples/native/libipc_stages.so
local lib = os.getenv("IPC_STAGES_LIB")
if lib == nil or lib == "" then
  error("set IPC_STAGES_LIB to the path of libipc_stages.so (in a build tree: build/examples/native/libipc_stages.so)")
end

return {
  name = "native",
  stages = {
    src   = { cmd = "cat input.txt" },
    upper = { native = { lib = lib, fn = "ipc_stage_upper", sig = "long(buf,buf)" } },
    crc   = { native = { lib = lib, fn = "ipc_stage_crc32c" }, replicas = 2 },
    sort  = { cmd = {"sort"}, env = { LC_ALL = "C" } },
    check = { cmd = {"/bin/sh", "check.sh"} },
  },
  links = {
    { "src.stdout", "upper.in", framing = "lines" },   -- each line a message
    { "upper.out", "crc.in", via = "ring" },           -- shared by the replicas
    { "crc.out", "sort.stdin", via = "mq", framing = "lines" },
    { "sort.stdout", "check.stdin" },
  },
}
