-- LuaRocks: builds the Lua module (require "ipc") with LuaRocks' builtin
-- CMake support. From a checkout: luarocks make ipc-0.1.0-1.rockspec
-- (docs/lua.md). The core is compiled into the module, and the module and
-- the pure-Lua parts are all the rock installs.
rockspec_format = "3.0"
package = "ipc"
version = "0.1.0-1"
source = {
   url = "git+https://example.invalid/ipc.git",
   tag = "v0.1.0",
}
description = {
   summary = "Every classic Unix IPC mechanism behind one API",
   detailed = [[
Pipes, FIFOs, POSIX and System V message queues, shared memory, mapped
files, semaphores and semaphore sets, robust process-shared mutexes,
signals with payloads, Unix and TCP/UDP sockets and a message ring in
shared memory, with timeouts on every blocking call.]],
   license = "MIT",
   labels = { "ipc", "posix", "sysv", "shared-memory" },
}
supported_platforms = { "linux" }
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "cmake",
   variables = {
      CMAKE_BUILD_TYPE = "Release",
      CMAKE_INSTALL_PREFIX = "$(PREFIX)",
      CMAKE_C_FLAGS = "$(CFLAGS)",
      LUA_INCLUDE_DIR = "$(LUA_INCDIR)",
      IPC_LUA = "ON",
      IPC_PYTHON = "OFF",
      IPC_EXAMPLES = "OFF",
      IPC_BENCH = "OFF",
      IPC_WERROR = "OFF",
      BUILD_TESTING = "OFF",
      IPC_INSTALL_C_LIBRARY = "OFF",
      IPC_LUA_MODDIR = "$(LIBDIR)",
      IPC_LUA_SHAREDIR = "$(LUADIR)",
   },
}
