/* SPDX-License-Identifier: MIT */
/*
 * python/typemaps.i - what each parameter name means in Python, and the
 * one error policy:
 *   - ipc_status < 0 raises OSError(errno, message), which Python turns into
 *     FileExistsError, TimeoutError, BlockingIOError... (PEP 3151); the
 *     message carries ipc_detail() when the core left one. -EINVAL is the
 *     core refusing an argument (a malformed URL, a bad option or size):
 *     ValueError, as DESIGN.md asks for misuse.
 *   - blocking calls (IPC_BLOCKING) release the GIL and follow PEP 475: on
 *     -EINTR run the signal handlers, raise if one raised, else retry with
 *     the same absolute deadline.
 * Outputs (argout) are appended to the result: one value alone, several as
 * a list.
 */

%{
#include <errno.h>
#include <math.h>
#include <string.h>

static void ipc_py_raise(ipc_status st)
{
	const char *detail = ipc_detail();
	int err = st < 0 ? -st : st;
	PyObject *exc;

	if (err == EINVAL) {
		if (detail != NULL && detail[0] != '\0')
			PyErr_Format(PyExc_ValueError, "%s: %s",
			             ipc_strerror(st), detail);
		else
			PyErr_SetString(PyExc_ValueError, ipc_strerror(st));
		return;
	}
	if (detail != NULL && detail[0] != '\0')
		exc = PyObject_CallFunction(PyExc_OSError, "is", err,
		                            PyUnicode_AsUTF8(PyUnicode_FromFormat(
		                                    "%s (%s)", ipc_strerror(st),
		                                    detail)));
	else
		exc = PyObject_CallFunction(PyExc_OSError, "is", err,
		                            ipc_strerror(st));
	if (exc != NULL) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
}

/* The deadline argument of the call being converted, for the sliced waits
 * below (set by the deadline typemap, read and cleared by the %exception
 * code that runs next, all under the GIL in this thread). */
static __thread ipc_deadline *ipc_py_deadline_arg;

/* Waits that the core runs as a loop of timed sleeps (a ring's futex, the
 * poller with rings registered) can miss a signal that lands as a sleep
 * times out: the kernel reports the timeout, the handler has run, and the
 * core sleeps again. These calls are made in slices of this length, with
 * the signal handlers run after each, so Ctrl+C is never lost. */
#define IPC_PY_SLICE_NS ((int64_t)50 * 1000000)

static ipc_deadline ipc_py_slice(ipc_deadline real)
{
	ipc_deadline now = ipc_now();

	return real - now > IPC_PY_SLICE_NS ? now + IPC_PY_SLICE_NS : real;
}

/* None -> never; seconds >= 0 -> an absolute deadline, computed once. */
static int ipc_py_deadline(PyObject *o, ipc_deadline *d)
{
	double s;

	if (o == Py_None) {
		*d = IPC_DEADLINE_NEVER;
		return 0;
	}
	s = PyFloat_AsDouble(o);
	if (s == -1.0 && PyErr_Occurred())
		return -1;
	if (isnan(s) || s < 0) {
		PyErr_SetString(PyExc_ValueError,
		                "timeout must be a non-negative number of "
		                "seconds, or None");
		return -1;
	}
	*d = isinf(s) ? IPC_DEADLINE_NEVER : ipc_deadline_from_seconds(s);
	return 0;
}

static PyObject *ipc_py_append(PyObject *result, PyObject *o)
{
	return SWIG_Python_AppendOutput(result, o);
}
%}

/* --- status ------------------------------------------------------------ */
%typemap(out) ipc_status {
	if ($1 < 0) {
		ipc_py_raise($1);
		SWIG_fail;
	}
	$result = SWIG_Py_Void();
}

/* The detail an error reports must be this call's (ipc_detail_clear). */
%exception {
	ipc_detail_clear();
	$action
}

/* PEP 475: retry on EINTR unless a Python signal handler raised. The
 * deadline argument is absolute, so retrying never extends the wait. */
%define IPC_BLOCKING(fn)
%threadallow fn;
%exception fn {
	ipc_detail_clear();
	for (;;) {
		$action
		if (result != -EINTR)
			break;
		if (PyErr_CheckSignals() < 0)
			SWIG_fail;
	}
}
%enddef

/* Writes that report how much went out (arg2 buf, arg3 len, arg4 the count,
 * as the naming rules place them): after an interruption the retry goes on
 * from where the write stopped, never from the start (that would send the
 * data twice). A write that timed out after some bytes went out returns
 * that count, as socket.send does; nothing is lost silently. */
%define IPC_BLOCKING_WRITE(fn)
%threadallow fn;
%exception fn {
	size_t done_ = 0;

	ipc_detail_clear();
	for (;;) {
		$action
		done_ += *arg4;
		if (result != -EINTR)
			break;
		if (PyErr_CheckSignals() < 0)
			SWIG_fail;
		arg2 = (void *)((char *)arg2 + *arg4);
		arg3 -= *arg4;
	}
	*arg4 = done_;
	if (done_ > 0 && (result == -EAGAIN || result == -ETIMEDOUT))
		result = 0;
}
%enddef

/* Sliced waits (see IPC_PY_SLICE_NS). COND says when the call needs
 * slicing (arg1 is the handle); other calls wait in one piece, so a pipe
 * read with no timeout stays a single blocking read(2). */
%define IPC_BLOCKING_SLICED(fn, COND)
%threadallow fn;
%exception fn {
	ipc_deadline *dp_ = ipc_py_deadline_arg;
	ipc_deadline real_ = dp_ != NULL ? *dp_ : IPC_DEADLINE_NOW;
	bool slice_ = dp_ != NULL && real_ != IPC_DEADLINE_NOW && (COND);

	ipc_py_deadline_arg = NULL;
	ipc_detail_clear();
	for (;;) {
		if (slice_)
			*dp_ = ipc_py_slice(real_);
		$action
		if (slice_ && result == -ETIMEDOUT && *dp_ != real_) {
			if (PyErr_CheckSignals() < 0)
				SWIG_fail;
			continue;
		}
		if (result != -EINTR)
			break;
		if (PyErr_CheckSignals() < 0)
			SWIG_fail;
	}
}
%enddef
/* Channels whose waits are the core's timed sleeps. */
%{
static bool ipc_py_chan_sliced(const ipc_chan *c)
{
	int k = ipc_chan_kind(c);

	return k == IPC_URL_RING || k == IPC_URL_SYSVMQ;
}
%}

/* Calls that may wait on I/O but are never interrupted (msync, a robust
 * lock in slices): the GIL is released, nothing is retried. */
%define IPC_SLOW(fn)
%threadallow fn;
%enddef

/* --- deadlines ---------------------------------------------------------- */
%typemap(in) ipc_deadline d, ipc_deadline first {
	if (ipc_py_deadline($input, &$1) < 0)
		SWIG_fail;
	ipc_py_deadline_arg = &$1;
}
%typemap(typecheck) ipc_deadline d = double;

/* --- input buffers: bytes, bytearray, memoryview... (never str) --------- */
/* bytes is the common case and is immutable: no buffer export needed. For
 * the rest the Py_buffer is held for the whole call: the GIL is released
 * meanwhile and the export is what stops a bytearray being resized. */
%typemap(in) (const void *buf, size_t len) (Py_buffer view, int have_view = 0) {
	if (PyBytes_CheckExact($input)) {
		$1 = PyBytes_AS_STRING($input);
		$2 = (size_t)PyBytes_GET_SIZE($input);
	} else {
		if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) < 0)
			SWIG_fail;
		have_view = 1;
		$1 = view.buf;
		$2 = (size_t)view.len;
	}
}
%typemap(freearg) (const void *buf, size_t len) {
	if (have_view$argnum)
		PyBuffer_Release(&view$argnum);
}

/* --- read(n) -> bytes --------------------------------------------------- */
%typemap(in) (void *buf, size_t cap, size_t *nread)
             (PyObject *bytes = NULL, size_t got = 0) {
	Py_ssize_t n = PyLong_AsSsize_t($input);

	if (n == -1 && PyErr_Occurred())
		SWIG_fail;
	if (n < 0)
		SWIG_exception_fail(SWIG_ValueError, "size must be >= 0");
	bytes = PyBytes_FromStringAndSize(NULL, n);
	if (bytes == NULL)
		SWIG_fail;
	$1 = PyBytes_AS_STRING(bytes);
	$2 = (size_t)n;
	$3 = &got;
}
%typemap(argout) (void *buf, size_t cap, size_t *nread) {
	if ((Py_ssize_t)got$argnum != PyBytes_GET_SIZE(bytes$argnum) &&
	    _PyBytes_Resize(&bytes$argnum, (Py_ssize_t)got$argnum) < 0)
		SWIG_fail;
	$result = ipc_py_append($result, bytes$argnum);
	bytes$argnum = NULL;
}
%typemap(freearg) (void *buf, size_t cap, size_t *nread) {
	Py_XDECREF(bytes$argnum);
}

/* --- readinto(buffer) -> int -------------------------------------------- */
%typemap(in) (void *dst, size_t cap, size_t *nread)
             (Py_buffer view, int have_view = 0, size_t got = 0) {
	if (PyObject_GetBuffer($input, &view, PyBUF_WRITABLE) < 0)
		SWIG_fail;
	have_view = 1;
	$1 = view.buf;
	$2 = (size_t)view.len;
	$3 = &got;
}
%typemap(argout) (void *dst, size_t cap, size_t *nread) {
	$result = ipc_py_append($result, PyLong_FromSize_t(got$argnum));
}
%typemap(freearg) (void *dst, size_t cap, size_t *nread) {
	if (have_view$argnum)
		PyBuffer_Release(&view$argnum);
}

/* --- a borrowed message -> bytes (one copy) ----------------------------- */
%typemap(in, numinputs=0) (const void **data, size_t *len)
             (const void *p = NULL, size_t n = 0) {
	$1 = ($1_ltype)&p;
	$2 = &n;
}
%typemap(argout) (const void **data, size_t *len) {
	$result = ipc_py_append($result,
	        PyBytes_FromStringAndSize((const char *)p$argnum,
	                                  (Py_ssize_t)n$argnum));
}

/* --- new handles --------------------------------------------------------- */
/* Typemaps with local variables take one pattern each (SWIG 4.1 declares
 * the locals of the first pattern only): hence the macros. */
%define IPC_OUT_HANDLE(NAME)
%typemap(in, numinputs=0) SWIGTYPE **NAME ($*1_ltype tmp = NULL) {
	$1 = &tmp;
}
%typemap(argout) SWIGTYPE **NAME {
	$result = ipc_py_append($result,
	        SWIG_NewPointerObj(SWIG_as_voidptr(*$1), $*1_descriptor, 0));
}
%enddef
IPC_OUT_HANDLE(out)
IPC_OUT_HANDLE(rd)
IPC_OUT_HANDLE(wr)
IPC_OUT_HANDLE(a)
IPC_OUT_HANDLE(b)

/* --- scalar outputs ------------------------------------------------------ */
%define IPC_OUT_INT(TYPE, NAME, CONV)
%typemap(in, numinputs=0) TYPE *NAME (TYPE tmp = 0) {
	$1 = &tmp;
}
%typemap(argout) TYPE *NAME {
	$result = ipc_py_append($result, CONV(*$1));
}
%enddef
IPC_OUT_INT(size_t, nread, PyLong_FromSize_t)
IPC_OUT_INT(size_t, nwritten, PyLong_FromSize_t)
IPC_OUT_INT(size_t, nsent, PyLong_FromSize_t)
IPC_OUT_INT(size_t, bytes, PyLong_FromSize_t)
IPC_OUT_INT(size_t, n, PyLong_FromSize_t)
IPC_OUT_INT(int, value, PyLong_FromLong)
IPC_OUT_INT(int, signo, PyLong_FromLong)
IPC_OUT_INT(unsigned int, prio, PyLong_FromUnsignedLong)
IPC_OUT_INT(long, mtype, PyLong_FromLong)
IPC_OUT_INT(int32_t, key, PyLong_FromLong)
IPC_OUT_INT(uint16_t, port, PyLong_FromUnsignedLong)
IPC_OUT_INT(unsigned long, n, PyLong_FromUnsignedLong)
IPC_OUT_INT(uint64_t, bytes, PyLong_FromUnsignedLongLong)

/* --- strings written into a caller's buffer ------------------------------ */
%typemap(in, numinputs=0) (char *buf, size_t cap) (char tmp[4096]) {
	tmp[0] = '\0';
	$1 = tmp;
	$2 = sizeof(tmp);
}
%typemap(argout) (char *buf, size_t cap) {
	$result = ipc_py_append($result, PyUnicode_DecodeFSDefault($1));
}

/* --- lists of small integers in -------------------------------------------*/
/* (const int *fds, size_t nfds), (const int *signos, size_t n) */
%define IPC_IN_INTS(PTR, CNT)
%typemap(in) (const int *PTR, size_t CNT) (int *tmp = NULL) {
	PyObject *seq = PySequence_Fast($input, "a sequence of integers is "
	                                        "expected");
	Py_ssize_t i, cnt;

	if (seq == NULL)
		SWIG_fail;
	cnt = PySequence_Fast_GET_SIZE(seq);
	tmp = PyMem_Calloc((size_t)cnt + 1, sizeof(int));
	if (tmp == NULL) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		SWIG_fail;
	}
	for (i = 0; i < cnt; i++) {
		PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
		long v;

		if (PyObject_HasAttrString(it, "fileno") && !PyLong_Check(it)) {
			PyObject *f = PyObject_CallMethod(it, "fileno", NULL);

			if (f == NULL) {
				Py_DECREF(seq);
				SWIG_fail;
			}
			v = PyLong_AsLong(f);
			Py_DECREF(f);
		} else {
			v = PyLong_AsLong(it);
		}
		if (v == -1 && PyErr_Occurred()) {
			Py_DECREF(seq);
			SWIG_fail;
		}
		tmp[i] = (int)v;
	}
	Py_DECREF(seq);
	$1 = tmp;
	$2 = (size_t)cnt;
}
%typemap(freearg) (const int *PTR, size_t CNT) {
	PyMem_Free(tmp$argnum);
}
%enddef
IPC_IN_INTS(fds, nfds)
IPC_IN_INTS(signos, n)

/* (int *fds, size_t maxfds, size_t *nfds): received descriptors -> list;
 * the caller owns them. */
%typemap(in, numinputs=0) (int *fds, size_t maxfds, size_t *nfds)
             (int tmp[IPC_SOCK_MAX_FDS], size_t cnt = 0) {
	$1 = tmp;
	$2 = IPC_SOCK_MAX_FDS;
	$3 = &cnt;
}
%typemap(argout) (int *fds, size_t maxfds, size_t *nfds) {
	PyObject *l = PyList_New((Py_ssize_t)cnt$argnum);
	size_t i;

	for (i = 0; l != NULL && i < cnt$argnum; i++)
		PyList_SET_ITEM(l, (Py_ssize_t)i, PyLong_FromLong(tmp$argnum[i]));
	$result = ipc_py_append($result, l);
}

/* --- structures: tuples in, tuples out ----------------------------------- */
/* (max_messages, max_message_size) or None */
%typemap(in) const struct ipc_mq_attr *attr (struct ipc_mq_attr tmp) {
	$1 = NULL;
	if ($input != Py_None) {
		memset(&tmp, 0, sizeof(tmp));
		if (!PyArg_ParseTuple($input, "ll;attr is (max_messages, "
		                      "max_message_size)",
		                      &tmp.max_messages, &tmp.max_message_size))
			SWIG_fail;
		$1 = &tmp;
	}
}
/* -> (max_messages, max_message_size, messages) */
%typemap(in, numinputs=0) struct ipc_mq_attr *attr (struct ipc_mq_attr tmp) {
	$1 = &tmp;
}
%typemap(argout) struct ipc_mq_attr *attr {
	$result = ipc_py_append($result, Py_BuildValue("(lll)",
	        $1->max_messages, $1->max_message_size, $1->messages));
}

/* (max_message_size, capacity, max_messages, mode) or None */
%typemap(in) const struct ipc_chan_opts *opts (struct ipc_chan_opts tmp) {
	$1 = NULL;
	if ($input != Py_None) {
		memset(&tmp, 0, sizeof(tmp));
		if (!PyArg_ParseTuple($input, "nnnI;opts is (max_message_size, "
		                      "capacity, max_messages, mode)",
		                      &tmp.max_message_size, &tmp.capacity,
		                      &tmp.max_messages, &tmp.mode))
			SWIG_fail;
		$1 = &tmp;
	}
}

/* (priority, type) in; (priority, type) out */
%typemap(in) const struct ipc_chan_meta *meta (struct ipc_chan_meta tmp) {
	memset(&tmp, 0, sizeof(tmp));
	if (!PyArg_ParseTuple($input, "Il;meta is (priority, type)",
	                      &tmp.priority, &tmp.type))
		SWIG_fail;
	$1 = &tmp;
}
%typemap(in, numinputs=0) struct ipc_chan_meta *meta (struct ipc_chan_meta tmp) {
	memset(&tmp, 0, sizeof(tmp));
	$1 = &tmp;
}
%typemap(argout) struct ipc_chan_meta *meta {
	$result = ipc_py_append($result,
	        Py_BuildValue("(Il)", $1->priority, $1->type));
}

/* -> (pid, uid, gid) */
%typemap(in, numinputs=0) struct ipc_sock_cred *cred (struct ipc_sock_cred tmp) {
	$1 = &tmp;
}
%typemap(argout) struct ipc_sock_cred *cred {
	$result = ipc_py_append($result, Py_BuildValue("(iII)",
	        (int)$1->pid, (unsigned)$1->uid, (unsigned)$1->gid));
}

/* -> (signo, pid, uid, value, code) */
%typemap(in, numinputs=0) struct ipc_sig_info *info (struct ipc_sig_info tmp) {
	memset(&tmp, 0, sizeof(tmp));
	$1 = &tmp;
}
%typemap(argout) struct ipc_sig_info *info {
	$result = ipc_py_append($result, Py_BuildValue("(iiIii)",
	        (int)$1->signo, (int)$1->pid, (unsigned)$1->uid,
	        (int)$1->value, (int)$1->code));
}

/* -> the return code (ipc_proc_returncode) */
%typemap(in, numinputs=0) struct ipc_proc_status *st (struct ipc_proc_status tmp) {
	memset(&tmp, 0, sizeof(tmp));
	$1 = &tmp;
}
%typemap(argout) struct ipc_proc_status *st {
	/* the return code as the core defines it (negative: the signal) */
	$result = ipc_py_append($result,
	        PyLong_FromLong(ipc_proc_returncode($1)));
}

/* -> dict of the counters */
%typemap(in, numinputs=0) struct ipc_ring_stats *st (struct ipc_ring_stats tmp) {
	$1 = &tmp;
}
%typemap(argout) struct ipc_ring_stats *st {
	$result = ipc_py_append($result, Py_BuildValue(
	        "{sKsKsKsKsKsKsKsKsKsK}",
	        "capacity", (unsigned long long)$1->capacity,
	        "max_message", (unsigned long long)$1->max_message,
	        "used", (unsigned long long)$1->used,
	        "high_water", (unsigned long long)$1->high_water,
	        "msgs_in", (unsigned long long)$1->msgs_in,
	        "bytes_in", (unsigned long long)$1->bytes_in,
	        "msgs_out", (unsigned long long)$1->msgs_out,
	        "bytes_out", (unsigned long long)$1->bytes_out,
	        "recovered", (unsigned long long)$1->recovered,
	        "lost", (unsigned long long)$1->lost));
}

/* -> dict */
%typemap(in, numinputs=0) struct ipc_sysvmq_stat *st (struct ipc_sysvmq_stat tmp) {
	$1 = &tmp;
}
%typemap(argout) struct ipc_sysvmq_stat *st {
	$result = ipc_py_append($result, Py_BuildValue(
	        "{sisIsIsIsIsIsnsnsnsisisLsLsL}",
	        "key", (int)$1->key, "mode", $1->mode,
	        "uid", (unsigned)$1->uid, "gid", (unsigned)$1->gid,
	        "cuid", (unsigned)$1->cuid, "cgid", (unsigned)$1->cgid,
	        "messages", (Py_ssize_t)$1->messages,
	        "bytes", (Py_ssize_t)$1->bytes,
	        "max_bytes", (Py_ssize_t)$1->max_bytes,
	        "last_send_pid", (int)$1->last_send_pid,
	        "last_recv_pid", (int)$1->last_recv_pid,
	        "send_time", (long long)$1->send_time,
	        "recv_time", (long long)$1->recv_time,
	        "change_time", (long long)$1->change_time));
}

/* semaphore sets: [(num, op, flags), ...] in */
%typemap(in) (const struct ipc_semop *ops, size_t nops)
             (struct ipc_semop *tmp = NULL) {
	PyObject *seq = PySequence_Fast($input, "ops is a sequence of "
	                                        "(num, op, flags)");
	Py_ssize_t i, cnt;

	if (seq == NULL)
		SWIG_fail;
	cnt = PySequence_Fast_GET_SIZE(seq);
	tmp = PyMem_Calloc((size_t)cnt + 1, sizeof(*tmp));
	if (tmp == NULL) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		SWIG_fail;
	}
	for (i = 0; i < cnt; i++) {
		int num, op;
		unsigned int fl = 0;

		if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i),
		                      "ii|I;each op is (num, op[, flags])",
		                      &num, &op, &fl)) {
			Py_DECREF(seq);
			SWIG_fail;
		}
		if (num < 0 || num > 65535 || op < -32768 || op > 32767) {
			Py_DECREF(seq);
			SWIG_exception_fail(SWIG_ValueError,
			                    "semaphore op out of range");
		}
		tmp[i].num = (uint16_t)num;
		tmp[i].op = (int16_t)op;
		tmp[i].flags = (uint16_t)fl;
	}
	Py_DECREF(seq);
	$1 = tmp;
	$2 = (size_t)cnt;
}
%typemap(freearg) (const struct ipc_semop *ops, size_t nops) {
	PyMem_Free(tmp$argnum);
}

/* semaphore values: a list in (None: NULL), a list out */
%{
static int ipc_py_ushorts(PyObject *o, unsigned short **out, size_t *n)
{
	PyObject *seq = PySequence_Fast(o, "a sequence of semaphore values "
	                                   "is expected");
	Py_ssize_t i, cnt;

	if (seq == NULL)
		return -1;
	cnt = PySequence_Fast_GET_SIZE(seq);
	*out = PyMem_Calloc((size_t)cnt + 1, sizeof(**out));
	if (*out == NULL) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));

		if (v == -1 && PyErr_Occurred()) {
			Py_DECREF(seq);
			return -1;
		}
		if (v < 0 || v > 32767) {
			Py_DECREF(seq);
			PyErr_SetString(PyExc_ValueError,
			                "a semaphore value is 0 .. 32767");
			return -1;
		}
		(*out)[i] = (unsigned short)v;
	}
	Py_DECREF(seq);
	*n = (size_t)cnt;
	return 0;
}
%}
%typemap(in) const unsigned short *initial (unsigned short *tmp = NULL, size_t cnt = 0) {
	if ($input != Py_None && ipc_py_ushorts($input, &tmp, &cnt) < 0)
		SWIG_fail;
	$1 = tmp;
}
%typemap(freearg) const unsigned short *initial {
	PyMem_Free(tmp$argnum);
}
%typemap(in) (const unsigned short *values, size_t n) (unsigned short *tmp = NULL) {
	if (ipc_py_ushorts($input, &tmp, &$2) < 0)
		SWIG_fail;
	$1 = tmp;
}
%typemap(freearg) (const unsigned short *values, size_t n) {
	PyMem_Free(tmp$argnum);
}
%typemap(in) (unsigned short *values, size_t n) (unsigned short *tmp = NULL) {
	Py_ssize_t cnt = PyLong_AsSsize_t($input);

	if (cnt == -1 && PyErr_Occurred())
		SWIG_fail;
	if (cnt < 0 || cnt > 65535)
		SWIG_exception_fail(SWIG_ValueError, "bad count");
	tmp = PyMem_Calloc((size_t)cnt + 1, sizeof(*tmp));
	if (tmp == NULL) {
		PyErr_NoMemory();
		SWIG_fail;
	}
	$1 = tmp;
	$2 = (size_t)cnt;
}
%typemap(argout) (unsigned short *values, size_t n) {
	PyObject *l = PyList_New((Py_ssize_t)$2);
	size_t i;

	for (i = 0; l != NULL && i < $2; i++)
		PyList_SET_ITEM(l, (Py_ssize_t)i, PyLong_FromLong($1[i]));
	$result = ipc_py_append($result, l);
}
%typemap(freearg) (unsigned short *values, size_t n) {
	PyMem_Free(tmp$argnum);
}

/* --- poller ----------------------------------------------------------------*/
/* tags are Python ints (the Python layer maps them to objects) */
%typemap(in) void *tag {
	unsigned long long v = PyLong_AsUnsignedLongLong($input);

	if (v == (unsigned long long)-1 && PyErr_Occurred())
		SWIG_fail;
	$1 = (void *)(uintptr_t)v;
}
/* (evs, max, n): input max -> list of (tag, events, expirations) */
%typemap(in) (struct ipc_loop_event *evs, size_t max, size_t *n)
             (struct ipc_loop_event *tmp = NULL, size_t got = 0) {
	Py_ssize_t cnt = PyLong_AsSsize_t($input);

	if (cnt == -1 && PyErr_Occurred())
		SWIG_fail;
	if (cnt < 1 || cnt > 4096)
		SWIG_exception_fail(SWIG_ValueError, "max events is 1 .. 4096");
	tmp = PyMem_Calloc((size_t)cnt, sizeof(*tmp));
	if (tmp == NULL) {
		PyErr_NoMemory();
		SWIG_fail;
	}
	$1 = tmp;
	$2 = (size_t)cnt;
	$3 = &got;
}
%typemap(argout) (struct ipc_loop_event *evs, size_t max, size_t *n) {
	PyObject *l = PyList_New((Py_ssize_t)got$argnum);
	size_t i;

	for (i = 0; l != NULL && i < got$argnum; i++)
		PyList_SET_ITEM(l, (Py_ssize_t)i, Py_BuildValue("(KIK)",
		        (unsigned long long)(uintptr_t)$1[i].tag,
		        $1[i].events, (unsigned long long)$1[i].expirations));
	$result = ipc_py_append($result, l);
}
%typemap(freearg) (struct ipc_loop_event *evs, size_t max, size_t *n) {
	PyMem_Free(tmp$argnum);
}

/* --- addresses of mappings: the Python layer never dereferences them; they
 * only feed the buffer exporter of shared memory without a descriptor. */
%typemap(out) void * {
	$result = PyLong_FromVoidPtr($1);
}
