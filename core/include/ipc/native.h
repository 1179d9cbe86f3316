/* SPDX-License-Identifier: MIT */
/*
 * ipc/native.h - call a C function from a shared library by name, through
 * libffi, with a signature given as a string.
 *
 * Signatures: "RET(ARG,ARG,...)", each type one of
 *   void i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 ptr str buf
 * with the C aliases int (i32), long (i64), size_t (u64), float (f32),
 * double (f64) and char* (str). Blanks around names are ignored; "()"
 * and "(void)" both mean no argument. void is a return type only; buf is
 * an argument type only: it passes a pointer and a size_t length, as two
 * C arguments. docs/native.md has the grammar and the conversions each
 * binding makes.
 *
 * Values cross as struct ipc_native_value, tagged with the signature's
 * type. The core checks every argument against the signature (count,
 * type, range: 300 for a u8 is -ERANGE), so the bindings only translate.
 *
 * Trust: a native call runs arbitrary code in the calling process with
 * whatever arguments the signature lets through; a wrong signature or a
 * bad pointer crashes the caller. The host runs native stages in their own
 * processes for that reason (docs/native.md, "Native stages").
 */
#ifndef IPC_NATIVE_H
#define IPC_NATIVE_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_native ipc_native;

/* Most arguments a signature may declare (a buf counts once). */
#define IPC_NATIVE_MAX_ARGS 16

/* The types of the signature grammar, in its order. */
enum ipc_native_type {
	IPC_NATIVE_VOID,
	IPC_NATIVE_I8,
	IPC_NATIVE_I16,
	IPC_NATIVE_I32,
	IPC_NATIVE_I64,
	IPC_NATIVE_U8,
	IPC_NATIVE_U16,
	IPC_NATIVE_U32,
	IPC_NATIVE_U64,
	IPC_NATIVE_F32,
	IPC_NATIVE_F64,
	IPC_NATIVE_PTR,
	IPC_NATIVE_STR,
	IPC_NATIVE_BUF,
};

/* A parsed signature. */
struct ipc_native_sig {
	enum ipc_native_type ret;
	unsigned int nargs;
	enum ipc_native_type args[IPC_NATIVE_MAX_ARGS];
};

/*
 * One argument or result. Set the member that matches @type:
 *   I8..I64 -> i, U8..U64 -> u, F32/F64 -> f, PTR -> p,
 *   STR -> s (NUL-terminated; NULL passes a null pointer),
 *   BUF -> buf (data may be NULL only when len is 0).
 * Results: integers, floats and ptr come back in the same members; a str
 * result is the function's own pointer (possibly NULL), not a copy; a
 * void result has type IPC_NATIVE_VOID.
 */
struct ipc_native_value {
	enum ipc_native_type type;
	union {
		int64_t i;
		uint64_t u;
		double f;
		void *p;
		const char *s;
		struct {
			void *data;
			size_t len;
		} buf;
	} v;
};

/**
 * ipc_native_sig_parse() - Parse a signature string.
 * @sig: the signature, e.g. "double(double)" or "long(buf, buf)".
 * @out: out: the parsed signature.
 *
 * Return: 0, or -EINVAL (ipc_detail() names the offending text and its
 * position), -E2BIG (more than IPC_NATIVE_MAX_ARGS arguments).
 */
IPC_API ipc_status ipc_native_sig_parse(const char *sig,
                                        struct ipc_native_sig *out);

/**
 * ipc_native_sig_format() - Write a signature in canonical form.
 * @sig: a parsed signature.
 * @buf: where to write, NUL-terminated.
 * @cap: room in @buf.
 *
 * The canonical form uses the grammar's own names and no blanks, e.g.
 * "f64(f64)"; parsing it gives @sig back.
 * Return: 0, or -ENOSPC (@buf too small; it holds a truncated string).
 */
IPC_API ipc_status ipc_native_sig_format(const struct ipc_native_sig *sig,
                                         char *buf, size_t cap);

/**
 * ipc_native_type_name() - The grammar's name of a type ("i32", "buf").
 * @t: a type.
 *
 * Return: a static string; "?" for a value outside the enum.
 */
IPC_API const char *ipc_native_type_name(enum ipc_native_type t);

/**
 * ipc_native_open() - Look a function up and prepare its call.
 * @out:  out: the function; NULL on failure.
 * @lib:  a shared library as dlopen(3) takes it ("libm.so.6", a path), or
 *        NULL for the program and the libraries already loaded.
 * @name: the symbol.
 * @sig:  its signature.
 *
 * The library stays loaded until ipc_native_close().
 * Return: 0, or -EINVAL (bad signature: ipc_detail() says where),
 * -ENOENT (no such library or symbol: ipc_detail() carries dlerror()'s
 * text), -ENOMEM, -ENOTSUP (libffi cannot prepare the call).
 */
IPC_API ipc_status ipc_native_open(ipc_native **out, const char *lib,
                                   const char *name, const char *sig);

/**
 * ipc_native_signature() - The signature a function was opened with.
 * @fn: an open function.
 *
 * Return: a pointer valid until ipc_native_close(@fn).
 */
IPC_API const struct ipc_native_sig *ipc_native_signature(const ipc_native *fn);

/**
 * ipc_native_call() - Call the function.
 * @fn:    an open function.
 * @args:  @nargs values, one per signature argument, types as declared.
 * @nargs: how many.
 * @ret:   out: the result, typed as the signature's return type.
 *
 * Return: 0, or -EINVAL (wrong count, or a value whose type differs from
 * the signature's: ipc_detail() names the argument), -ERANGE (an integer
 * that does not fit its C type, a double that does not fit a float).
 * Nothing is called when the arguments are refused.
 */
IPC_API ipc_status ipc_native_call(const ipc_native *fn,
                                   const struct ipc_native_value *args,
                                   size_t nargs, struct ipc_native_value *ret);

/**
 * ipc_native_close() - Release the function and its library reference.
 * @fn: an open function, or NULL.
 */
IPC_API void ipc_native_close(ipc_native *fn);

/*
 * Native stages (the host's "native = {...}" stages, docs/native.md).
 *
 * A stage function turns one input message into one output message. The
 * preferred convention is the signature "long(buf,buf)":
 *
 *     long fn(const void *in, size_t in_len, void *out, size_t out_cap);
 *
 * returning the number of bytes written to @out (0 sends an empty message
 * downstream only if the stage's output takes them; see docs), or a
 * negated errno: -ENOBUFS asks for a bigger @out (the stage doubles it up
 * to the output's largest message and calls again), any other negative
 * value ends the stage with that error. Other accepted signatures take
 * the message as their one argument ("T(buf)" or "T(str)", T any numeric
 * type or str) and send the result as text (decimal, "%.17g", the string).
 */

/**
 * ipc_native_stage_check() - Whether a signature suits a native stage.
 * @sig: a parsed signature.
 *
 * Return: 0, or -EINVAL (ipc_detail() says what a stage needs).
 */
IPC_API ipc_status ipc_native_stage_check(const struct ipc_native_sig *sig);

struct ipc_chan;

/**
 * ipc_native_stage_run() - Run a stage function over a channel pair.
 * @fn:  an open function whose signature passes ipc_native_stage_check().
 * @in:  messages to process (a channel open for reading).
 * @out: where results go (a channel open for writing), or NULL to drop
 *       them (a sink).
 * @stats: out, optional: messages in, messages out.
 *
 * Receives until @in ends (-EPIPE), calling @fn once per message and
 * sending each result in order. An empty message on a queue kind (mq,
 * sysvmq, ring) ends the input, as the host's links define it; it is not
 * passed on: the host sends the end marker to @out's consumers itself
 * once every producer has ended (a stage with replicas would otherwise
 * end its consumers early). For the same reason an empty result is not
 * sent to a queue kind. Receives and sends wait without a deadline: the
 * input's end or a signal (-EINTR) is what stops the loop. A signal
 * during a send does not stop it: the result in flight is sent again, so
 * -EINTR always comes between messages and nothing is lost.
 * Return: 0 at the end of the input, or the first failure: a receive or
 * send error, -EINTR (a signal while waiting for input: the caller decides
 * whether to go on), the function's own negative result (its own -EINTR
 * becomes -EPROTO, so that it cannot pass for a signal).
 */
IPC_API ipc_status ipc_native_stage_run(const ipc_native *fn,
                                        struct ipc_chan *in,
                                        struct ipc_chan *out,
                                        uint64_t stats[2]);

#ifdef __cplusplus
}
#endif

#endif /* IPC_NATIVE_H */
