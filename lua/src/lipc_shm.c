/* SPDX-License-Identifier: MIT */
/*
 * lipc_shm.c - shared memory: ipc.shm(name, opts) -> ipc.Shm (POSIX),
 * ipc.sysvshm(key, opts) -> ipc.SysVShm (System V) and
 * ipc.mapped_file(path, opts) -> ipc.MappedFile (a file mapped shared).
 *
 *	local m = ipc.shm("/state", {size = 4096, create = true})
 *	m:write(0, "hello")          -- offset 0 is the first byte
 *	print(m:read(0, 5))          --> hello
 *	m:unlink(); m:close()
 *
 * All three are a mapped region of size() bytes, read and written with
 * 0-based byte offsets (not Lua's 1-based string indices): :write(offset,
 * s) stores the bytes of s at offset .. offset + #s - 1, :read(offset,
 * len) returns a string of len bytes (default: up to the end). Strings are
 * binary-safe. A range outside the region raises, and so does a write to a
 * read-only handle: both would otherwise be a fault, not an error to
 * report. Nothing synchronises the bytes between processes: pair the
 * region with a semaphore or a mutex.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lipc.h"

#define LIPC_SHM     "ipc.Shm"
#define LIPC_SYSVSHM "ipc.SysVShm"
#define LIPC_MMAP    "ipc.MappedFile"

/* What the methods shared by the three types need of a handle. */
struct region {
	unsigned char *addr;
	size_t size;
	bool readonly;
	const char *tname;
};

static struct region shm_region(lua_State *L)
{
	ipc_shm *h = lipc_checkopen(L, 1, LIPC_SHM);
	struct region r = {ipc_shm_addr(h), ipc_shm_size(h),
	                   ipc_shm_is_readonly(h), LIPC_SHM};

	return r;
}

static struct region sysvshm_region(lua_State *L)
{
	ipc_sysvshm *h = lipc_checkopen(L, 1, LIPC_SYSVSHM);
	struct region r = {ipc_sysvshm_addr(h), ipc_sysvshm_size(h),
	                   ipc_sysvshm_readonly(h), LIPC_SYSVSHM};

	return r;
}

/* A mapped file has no read-only query: the box's user value says. */
static struct region mmap_region(lua_State *L)
{
	ipc_mmap *h = lipc_checkopen(L, 1, LIPC_MMAP);
	struct region r = {ipc_mmap_addr(h), ipc_mmap_size(h), false,
	                   LIPC_MMAP};

	lua_getiuservalue(L, 1, 1);
	r.readonly = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return r;
}

/* A 0-based byte offset at @idx, within 0 .. @size. */
static size_t check_offset(lua_State *L, int idx, size_t size)
{
	lua_Integer off = luaL_checkinteger(L, idx);

	luaL_argcheck(L, off >= 0 && (uint64_t)off <= size, idx,
	              "offset outside the region");
	return (size_t)off;
}

/* region:write(offset, s) -> true */
static int region_write(lua_State *L, struct region r)
{
	size_t off = check_offset(L, 2, r.size);
	size_t len;
	const char *s = luaL_checklstring(L, 3, &len);

	if (r.readonly)
		return luaL_error(L, "attempt to write to a read-only %s",
		                  r.tname);
	luaL_argcheck(L, len <= r.size - off, 3,
	              "string runs past the end of the region");
	memcpy(r.addr + off, s, len);
	lua_pushboolean(L, 1);
	return 1;
}

/* region:read(offset, len) -> string; len defaults to the rest. */
static int region_read(lua_State *L, struct region r)
{
	size_t off = check_offset(L, 2, r.size);
	lua_Integer len = luaL_optinteger(L, 3, (lua_Integer)(r.size - off));

	luaL_argcheck(L, len >= 0 && (uint64_t)len <= r.size - off, 3,
	              "length runs past the end of the region");
	lua_pushlstring(L, (const char *)r.addr + off, (size_t)len);
	return 1;
}

/* The "size" option as a size_t (an integer or "4KiB"). */
static size_t opt_size(lua_State *L, int idx)
{
	uint64_t v = lipc_optsize(L, idx, "size", 0);

	if (v > SIZE_MAX)
		luaL_error(L, "bad option 'size' (too large)");
	return (size_t)v;
}

/* Open flags from create/exclusive/readonly. */
static unsigned int region_flags(lua_State *L, int idx)
{
	unsigned int fl = lipc_openflags(L, idx);

	if (lipc_optbool(L, idx, "readonly", false))
		fl |= IPC_O_READ;
	else
		fl |= IPC_O_RDWR;
	return fl;
}

static const char *const region_opts[] = {"size", "create",   "exclusive",
                                          "mode", "readonly", NULL};

/* ---- ipc.Shm ---------------------------------------------------------- */

/***
 * Open, or create, a POSIX shared memory object and map it.
 * @function shm
 * @string name "/name"
 * @tparam[opt] table opts size (bytes or "4KiB"; required to create; 0 or
 *   absent when opening: the object's size), create, exclusive, mode
 *   (default 0600), readonly (not with create)
 * @treturn[1] ipc.Shm
 * @treturn[2] fail, "shm /name: message", errno (ENOENT, EEXIST, EAGAIN
 *   for an object its creator has not sized yet...)
 */
static int l_shm(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	unsigned int flags, mode;
	size_t size;
	lipc_box *b;
	ipc_shm *h;
	ipc_status st;

	lipc_checkopts(L, 2, region_opts);
	flags = region_flags(L, 2);
	mode = lipc_optmode(L, 2);
	size = opt_size(L, 2);
	b = lipc_newbox(L, LIPC_SHM, 0);
	st = ipc_shm_open(&h, name, size, flags, mode);
	if (st < 0)
		return lipc_fail(L, st, lua_pushfstring(L, "shm %s", name));
	b->h = h;
	return 1;
}

static int shm_write(lua_State *L)
{
	return region_write(L, shm_region(L));
}

static int shm_read(lua_State *L)
{
	return region_read(L, shm_region(L));
}

static int shm_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)shm_region(L).size);
	return 1;
}

static int shm_name(lua_State *L)
{
	lua_pushstring(L, ipc_shm_name(lipc_checkopen(L, 1, LIPC_SHM)));
	return 1;
}

/* m:unlink(): removes the name; mappings keep the memory. */
static int shm_unlink(lua_State *L)
{
	ipc_shm *h = lipc_checkopen(L, 1, LIPC_SHM);

	return lipc_result(L, ipc_shm_unlink(ipc_shm_name(h)), "unlink");
}

static int shm_close(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SHM);
	ipc_shm *h = lipc_checkopen(L, 1, LIPC_SHM);

	b->h = NULL;
	return lipc_result(L, ipc_shm_close(h), "close");
}

static int shm_gc(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SHM);

	if (b->h != NULL) {
		(void)ipc_shm_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int shm_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SHM);

	return lipc_pushtostring(L, LIPC_SHM, b->h == NULL,
	                         b->h ? ipc_shm_name(b->h) : NULL);
}

static const luaL_Reg shm_meta[] = {{"__gc", shm_gc},
                                    {"__close", shm_gc},
                                    {"__tostring", shm_tostring},
                                    {NULL, NULL}};

static const luaL_Reg shm_methods[] = {
        {"write", shm_write}, {"read", shm_read},     {"size", shm_size},
        {"name", shm_name},   {"unlink", shm_unlink}, {"close", shm_close},
        {NULL, NULL}};

/* ---- ipc.SysVShm ------------------------------------------------------ */

/***
 * Find or create a System V segment and attach it.
 * @function sysvshm
 * @param key an integer, "0x..." or decimal string, or {path, proj}
 * @tparam[opt] table opts size (required to create; 0 or absent when
 *   opening: the segment's size), create, exclusive, mode, readonly
 * @treturn[1] ipc.SysVShm
 * @treturn[2] fail, "sysvshm 0x...: message", errno
 */
static int l_sysvshm(lua_State *L)
{
	int32_t key = lipc_checkkey(L, 1);
	unsigned int flags, mode;
	char kbuf[16];
	size_t size;
	lipc_box *b;
	ipc_sysvshm *h;
	ipc_status st;

	lipc_checkopts(L, 2, region_opts);
	flags = region_flags(L, 2);
	mode = lipc_optmode(L, 2);
	size = opt_size(L, 2);
	b = lipc_newbox(L, LIPC_SYSVSHM, 0);
	st = ipc_sysvshm_open(&h, key, size, flags, mode);
	if (st < 0) {
		snprintf(kbuf, sizeof(kbuf), "0x%08x",
		         (unsigned int)(uint32_t)key);
		return lipc_fail(L, st, lua_pushfstring(L, "sysvshm %s", kbuf));
	}
	b->h = h;
	return 1;
}

static int sysvshm_write(lua_State *L)
{
	return region_write(L, sysvshm_region(L));
}

static int sysvshm_read(lua_State *L)
{
	return region_read(L, sysvshm_region(L));
}

static int sysvshm_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)sysvshm_region(L).size);
	return 1;
}

/* The key as an unsigned 32-bit integer, as ipcs(1) shows it; 0 for a
 * private segment. */
static int sysvshm_key(lua_State *L)
{
	ipc_sysvshm *h = lipc_checkopen(L, 1, LIPC_SYSVSHM);

	lua_pushinteger(L, (lua_Integer)(uint32_t)ipc_sysvshm_key(h));
	return 1;
}

static int sysvshm_id(lua_State *L)
{
	lua_pushinteger(L, ipc_sysvshm_id(lipc_checkopen(L, 1, LIPC_SYSVSHM)));
	return 1;
}

/* m:remove(): marks the segment for removal; this handle and other
 * attachments keep the memory until they detach. */
static int sysvshm_remove(lua_State *L)
{
	ipc_sysvshm *h = lipc_checkopen(L, 1, LIPC_SYSVSHM);

	return lipc_result(L, ipc_sysvshm_remove(h), "remove");
}

static int sysvshm_close(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SYSVSHM);
	ipc_sysvshm *h = lipc_checkopen(L, 1, LIPC_SYSVSHM);

	b->h = NULL;
	return lipc_result(L, ipc_sysvshm_close(h), "close");
}

static int sysvshm_gc(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SYSVSHM);

	if (b->h != NULL) {
		(void)ipc_sysvshm_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int sysvshm_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SYSVSHM);

	if (b->h == NULL)
		return lipc_pushtostring(L, LIPC_SYSVSHM, true, NULL);
	lua_pushfstring(L, "%s (id %d)", LIPC_SYSVSHM, ipc_sysvshm_id(b->h));
	return 1;
}

static const luaL_Reg sysvshm_meta[] = {{"__gc", sysvshm_gc},
                                        {"__close", sysvshm_gc},
                                        {"__tostring", sysvshm_tostring},
                                        {NULL, NULL}};

static const luaL_Reg sysvshm_methods[] = {
        {"write", sysvshm_write}, {"read", sysvshm_read},
        {"size", sysvshm_size},   {"key", sysvshm_key},
        {"id", sysvshm_id},       {"remove", sysvshm_remove},
        {"close", sysvshm_close}, {NULL, NULL}};

/* ---- ipc.MappedFile --------------------------------------------------- */

/***
 * Map a file shared, from its start.
 * @function mapped_file
 * @string path the file
 * @tparam[opt] table opts size (bytes to map; 0 or absent: the whole
 *   file; with create, the file is grown to at least size bytes), create,
 *   exclusive, mode (of a new file, default 0600), readonly
 * @treturn[1] ipc.MappedFile
 * @treturn[2] fail, "mapped_file path: message", errno
 */
static int l_mapped_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	unsigned int flags, mode;
	size_t size;
	lipc_box *b;
	ipc_mmap *h;
	ipc_status st;

	lipc_checkopts(L, 2, region_opts);
	flags = region_flags(L, 2);
	mode = lipc_optmode(L, 2);
	size = opt_size(L, 2);
	b = lipc_newbox(L, LIPC_MMAP, 1);
	st = ipc_mmap_open(&h, path, 0, size, flags, mode);
	if (st < 0)
		return lipc_fail(L, st,
		                 lua_pushfstring(L, "mapped_file %s", path));
	b->h = h;
	lua_pushboolean(L, (flags & IPC_O_RDWR) == IPC_O_READ);
	lua_setiuservalue(L, -2, 1);
	return 1;
}

static int mmap_write(lua_State *L)
{
	return region_write(L, mmap_region(L));
}

static int mmap_read(lua_State *L)
{
	return region_read(L, mmap_region(L));
}

static int mmap_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mmap_region(L).size);
	return 1;
}

/***
 * Write the changed pages to the file's storage and wait (msync). Not
 * needed for other processes to see the bytes, only to survive a crash.
 * @function MappedFile:flush
 * @treturn[1] true
 * @treturn[2] fail, "flush: message", errno (EIO...)
 */
static int mmap_flush(lua_State *L)
{
	ipc_mmap *h = lipc_checkopen(L, 1, LIPC_MMAP);

	return lipc_result(L, ipc_mmap_flush(h, 0, 0, true), "flush");
}

static int mmap_close(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_MMAP);
	ipc_mmap *h = lipc_checkopen(L, 1, LIPC_MMAP);

	b->h = NULL;
	return lipc_result(L, ipc_mmap_close(h), "close");
}

static int mmap_gc(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_MMAP);

	if (b->h != NULL) {
		(void)ipc_mmap_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int mmap_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_MMAP);

	if (b->h == NULL)
		return lipc_pushtostring(L, LIPC_MMAP, true, NULL);
	lua_pushfstring(L, "%s (fd %d)", LIPC_MMAP, ipc_mmap_fd(b->h));
	return 1;
}

static const luaL_Reg mmap_meta[] = {{"__gc", mmap_gc},
                                     {"__close", mmap_gc},
                                     {"__tostring", mmap_tostring},
                                     {NULL, NULL}};

static const luaL_Reg mmap_methods[] = {
        {"write", mmap_write}, {"read", mmap_read},   {"size", mmap_size},
        {"flush", mmap_flush}, {"close", mmap_close}, {NULL, NULL}};

void lipc_open_shm(lua_State *L)
{
	lipc_newclass(L, LIPC_SHM, shm_meta, shm_methods);
	lipc_newclass(L, LIPC_SYSVSHM, sysvshm_meta, sysvshm_methods);
	lipc_newclass(L, LIPC_MMAP, mmap_meta, mmap_methods);
	lua_pushcfunction(L, l_shm);
	lua_setfield(L, -2, "shm");
	lua_pushcfunction(L, l_sysvshm);
	lua_setfield(L, -2, "sysvshm");
	lua_pushcfunction(L, l_mapped_file);
	lua_setfield(L, -2, "mapped_file");
}
