/* rpc.i - calls across processes (ipc/rpc.h). The envelope, ids, routing
 * and limits are the core's; this file walks Python values through the
 * core's encoder and builds them back from its decoder's items:
 *   None, bool, int (-2^63 .. 2^64-1), float, str, bytes-like, list/tuple,
 *   dict  ->  nil, bool, int/uint, float, str, bin, array, map
 * and back (bin -> bytes, array -> list, map -> dict). */
%{
#include <ipc/rpc.h>
%}

IPC_HANDLE(ipc_rpc_server)
IPC_HANDLE(ipc_rpc_client)

/* The codec is reached through py_rpc_encode/decode and the calls below. */
%ignore ipc_rpc_enc_init;
%ignore ipc_rpc_enc_reset;
%ignore ipc_rpc_enc_free;
%ignore ipc_rpc_put_nil;
%ignore ipc_rpc_put_bool;
%ignore ipc_rpc_put_int;
%ignore ipc_rpc_put_uint;
%ignore ipc_rpc_put_float;
%ignore ipc_rpc_put_str;
%ignore ipc_rpc_put_bytes;
%ignore ipc_rpc_put_list;
%ignore ipc_rpc_put_map;
%ignore ipc_rpc_enc_status;
%ignore ipc_rpc_dec_init;
%ignore ipc_rpc_dec_next;
%ignore ipc_rpc_dec_finish;
%ignore ipc_rpc_utf8_valid;
%ignore ipc_rpc_server_recv;
%ignore ipc_rpc_server_reply;
%ignore ipc_rpc_server_reply_error;
%ignore ipc_rpc_call;
%ignore ipc_rpc_send_call;
%ignore ipc_rpc_wait_reply;
%ignore ipc_rpc_pending;
IPC_BLOCKING(ipc_rpc_server_open)
IPC_BLOCKING(ipc_rpc_client_open)

/* (max_message_size, mode) or None */
%typemap(in) const struct ipc_rpc_opts *opts (struct ipc_rpc_opts tmp) {
	$1 = NULL;
	if ($input != Py_None) {
		memset(&tmp, 0, sizeof(tmp));
		if (!PyArg_ParseTuple($input, "nI;opts is (max_message_size, "
		                      "mode)", &tmp.max_message_size, &tmp.mode))
			SWIG_fail;
		$1 = &tmp;
	}
}

%{
/* The encoder's failure as a Python exception (-EMSGSIZE: OSError). */
static void ipc_py_rpc_enc_raise(const struct ipc_rpc_enc *e)
{
	ipc_status st = ipc_rpc_enc_status(e);

	if (st == -EILSEQ)
		PyErr_SetString(PyExc_ValueError, "rpc: a str that is not "
		                "valid UTF-8");
	else
		ipc_py_raise(st);
}

/* Append @o. The depth bound is also the guard against a list or dict
 * that contains itself: it is refused, as a too deep one, at the depth. */
static int ipc_py_rpc_put(struct ipc_rpc_enc *e, PyObject *o,
                          unsigned int depth)
{
	if (o == Py_None) {
		ipc_rpc_put_nil(e);
	} else if (PyBool_Check(o)) {
		ipc_rpc_put_bool(e, o == Py_True);
	} else if (PyLong_Check(o)) {
		int overflow = 0;
		long long v = PyLong_AsLongLongAndOverflow(o, &overflow);

		if (v == -1 && PyErr_Occurred())
			return -1;
		if (overflow == 0) {
			ipc_rpc_put_int(e, v);
		} else {
			unsigned long long u = overflow > 0 ?
			        PyLong_AsUnsignedLongLong(o) : 0;

			if (overflow < 0 || (u == (unsigned long long)-1 &&
			                     PyErr_Occurred())) {
				PyErr_Clear();
				PyErr_SetString(PyExc_OverflowError, "rpc: an "
				                "int outside -2**63 .. 2**64-1");
				return -1;
			}
			ipc_rpc_put_uint(e, u);
		}
	} else if (PyFloat_Check(o)) {
		ipc_rpc_put_float(e, PyFloat_AS_DOUBLE(o));
	} else if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize(o, &n);

		if (s == NULL)
			return -1;
		ipc_rpc_put_str(e, s, (size_t)n);
	} else if (PyBytes_Check(o)) {
		ipc_rpc_put_bytes(e, PyBytes_AS_STRING(o),
		                  (size_t)PyBytes_GET_SIZE(o));
	} else if (PyList_Check(o) || PyTuple_Check(o) || PyDict_Check(o)) {
		Py_ssize_t n = PyList_Check(o) ? PyList_GET_SIZE(o) :
		               PyTuple_Check(o) ? PyTuple_GET_SIZE(o) :
		                                  PyDict_GET_SIZE(o);
		Py_ssize_t i;

		if (depth >= IPC_RPC_MAX_DEPTH) {
			PyErr_Format(PyExc_ValueError, "rpc: nesting deeper "
			             "than %d (or a container that holds "
			             "itself)", IPC_RPC_MAX_DEPTH);
			return -1;
		}
		if (n > (Py_ssize_t)UINT32_MAX) {
			PyErr_SetString(PyExc_OverflowError, "rpc: more than "
			                "2**32-1 items");
			return -1;
		}
		if (PyDict_Check(o)) {
			PyObject *k, *v;

			ipc_rpc_put_map(e, (uint32_t)n);
			i = 0;
			/* nothing below runs Python code: the dict stays */
			while (PyDict_Next(o, &i, &k, &v))
				if (ipc_py_rpc_put(e, k, depth + 1) < 0 ||
				    ipc_py_rpc_put(e, v, depth + 1) < 0)
					return -1;
		} else {
			ipc_rpc_put_list(e, (uint32_t)n);
			for (i = 0; i < n; i++)
				if (ipc_py_rpc_put(e, PyList_Check(o) ?
				                   PyList_GET_ITEM(o, i) :
				                   PyTuple_GET_ITEM(o, i),
				                   depth + 1) < 0)
					return -1;
		}
	} else if (PyObject_CheckBuffer(o)) {
		Py_buffer view;

		if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) < 0)
			return -1;
		ipc_rpc_put_bytes(e, view.buf, (size_t)view.len);
		PyBuffer_Release(&view);
	} else {
		PyErr_Format(PyExc_TypeError, "rpc: cannot encode %s",
		             Py_TYPE(o)->tp_name);
		return -1;
	}
	if (ipc_rpc_enc_status(e) < 0) {
		ipc_py_rpc_enc_raise(e);
		return -1;
	}
	return 0;
}

/* One value from the decoder. Map keys are built with @key set: a list
 * there becomes a tuple, so it can be a dict key. */
static PyObject *ipc_py_rpc_get(struct ipc_rpc_dec *d, bool key)
{
	struct ipc_rpc_item it;
	PyObject *o, *k, *v;
	ipc_status st;
	uint32_t i;

	st = ipc_rpc_dec_next(d, &it);
	if (st < 0) {
		ipc_py_raise(st == -ENODATA ? -EPROTO : st);
		return NULL;
	}
	switch (it.kind) {
	case IPC_RPC_NIL:
		Py_RETURN_NONE;
	case IPC_RPC_BOOL:
		return PyBool_FromLong(it.v.b);
	case IPC_RPC_INT:
		return PyLong_FromLongLong(it.v.i);
	case IPC_RPC_UINT:
		return PyLong_FromUnsignedLongLong(it.v.u);
	case IPC_RPC_FLOAT:
		return PyFloat_FromDouble(it.v.f);
	case IPC_RPC_STR:
		return PyUnicode_DecodeUTF8(it.v.s.p, (Py_ssize_t)it.v.s.len,
		                            NULL);
	case IPC_RPC_BYTES:
		return PyBytes_FromStringAndSize(it.v.s.p,
		                                 (Py_ssize_t)it.v.s.len);
	case IPC_RPC_LIST:
		o = key ? PyTuple_New(it.v.count) : PyList_New(it.v.count);
		for (i = 0; o != NULL && i < it.v.count; i++) {
			v = ipc_py_rpc_get(d, key);
			if (v == NULL)
				Py_CLEAR(o);
			else if (key)
				PyTuple_SET_ITEM(o, i, v);
			else
				PyList_SET_ITEM(o, i, v);
		}
		return o;
	case IPC_RPC_MAP:
		o = PyDict_New();
		for (i = 0; o != NULL && i < it.v.count; i++) {
			k = ipc_py_rpc_get(d, true);
			v = k != NULL ? ipc_py_rpc_get(d, false) : NULL;
			if (v == NULL || PyDict_SetItem(o, k, v) < 0)
				Py_CLEAR(o);
			Py_XDECREF(k);
			Py_XDECREF(v);
		}
		return o;
	}
	PyErr_Format(PyExc_SystemError, "rpc: item kind %d", (int)it.kind);
	return NULL;
}

static PyObject *ipc_py_rpc_decode_buf(const void *data, size_t len)
{
	struct ipc_rpc_dec d;
	PyObject *o;
	ipc_status st;

	ipc_rpc_dec_init(&d, data, len);
	o = ipc_py_rpc_get(&d, false);
	if (o == NULL)
		return NULL;
	st = ipc_rpc_dec_finish(&d);
	if (st < 0) {
		Py_DECREF(o);
		ipc_py_raise(st);
		return NULL;
	}
	return o;
}

/* Encode @o into @e (initialised by the caller): 0, or -1 with an
 * exception set. */
static int ipc_py_rpc_encode_into(struct ipc_rpc_enc *e, PyObject *o)
{
	return ipc_py_rpc_put(e, o, 0);
}

/* A request between server_recv and its reply, copied whole into a bytes
 * token: its pointers stay valid until the next receive, and the Python
 * loop replies before it receives again. */
static int ipc_py_rpc_token(PyObject *tok, struct ipc_rpc_request *req)
{
	if (!PyBytes_Check(tok) ||
	    PyBytes_GET_SIZE(tok) != (Py_ssize_t)sizeof(*req)) {
		PyErr_SetString(PyExc_TypeError, "rpc: not a request token");
		return -1;
	}
	memcpy(req, PyBytes_AS_STRING(tok), sizeof(*req));
	return 0;
}
%}

%inline %{
/* py_rpc_encode(value, limit) -> bytes (limit 0: the default). */
static PyObject *ipc_py_rpc_encode(PyObject *value, size_t limit)
{
	struct ipc_rpc_enc e;
	PyObject *res = NULL;

	ipc_rpc_enc_init(&e, limit);
	if (ipc_py_rpc_encode_into(&e, value) == 0)
		res = PyBytes_FromStringAndSize((const char *)e.data,
		                                (Py_ssize_t)e.len);
	ipc_rpc_enc_free(&e);
	return res;
}

/* py_rpc_decode(bytes-like) -> value: exactly one value, or
 * OSError(EPROTO). */
static PyObject *ipc_py_rpc_decode(PyObject *data)
{
	Py_buffer view;
	PyObject *res;

	if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
		return NULL;
	res = ipc_py_rpc_decode_buf(view.buf, (size_t)view.len);
	PyBuffer_Release(&view);
	return res;
}

/*
 * py_rpc_call(client, method, args, limit, timeout) -> (True, result) or
 * (False, message) for a remote error. @args is a tuple or list.
 * The call goes out once (a send interrupted before anything went out is
 * retried, PEP 475); the answer is awaited in slices so that signal
 * handlers run, and one that raises (Ctrl+C) abandons the call: its late
 * answer is dropped by the next call, the function never runs twice.
 */
static PyObject *ipc_py_rpc_call(ipc_rpc_client *c, const char *method,
                                 PyObject *args, size_t limit,
                                 ipc_deadline d)
{
	struct ipc_rpc_enc e;
	struct ipc_rpc_reply rep = { NULL, 0 };
	ipc_deadline slice;
	PyObject *v, *res = NULL;
	ipc_status st;

	ipc_py_deadline_arg = NULL;
	if (!PyTuple_Check(args) && !PyList_Check(args)) {
		PyErr_SetString(PyExc_TypeError, "rpc: args is a tuple");
		return NULL;
	}
	ipc_rpc_enc_init(&e, limit);
	if (ipc_py_rpc_encode_into(&e, args) < 0)
		goto out;
	for (;;) {
		ipc_detail_clear();
		Py_BEGIN_ALLOW_THREADS
		st = ipc_rpc_send_call(c, method, e.data, e.len, d);
		Py_END_ALLOW_THREADS
		if (st != -EINTR)
			break;
		if (PyErr_CheckSignals() < 0)
			goto out;
	}
	while (st == 0) {
		slice = d == IPC_DEADLINE_NOW ? d : ipc_py_slice(d);
		ipc_detail_clear();
		Py_BEGIN_ALLOW_THREADS
		st = ipc_rpc_wait_reply(c, &rep, slice);
		Py_END_ALLOW_THREADS
		if ((st == -ETIMEDOUT && slice != d) || st == -EINTR) {
			if (PyErr_CheckSignals() < 0)
				goto out;
			st = 0;
			continue;
		}
		break;
	}
	if (st == -EREMOTEIO) {
		v = PyUnicode_DecodeUTF8((const char *)rep.data,
		                         (Py_ssize_t)rep.len, "replace");
		if (v != NULL)
			res = Py_BuildValue("(ON)", Py_False, v);
	} else if (st < 0) {
		ipc_py_raise(st);
	} else {
		v = ipc_py_rpc_decode_buf(rep.data, rep.len);
		if (v != NULL)
			res = Py_BuildValue("(ON)", Py_True, v);
	}
out:
	ipc_rpc_enc_free(&e);
	return res;
}

/*
 * py_rpc_server_recv(server, timeout) -> (method, args bytes, token), or
 * None when the deadline passed or a signal came (after its handler ran:
 * an exception it raised propagates). The serve loop waits in slices.
 */
static PyObject *ipc_py_rpc_server_recv(ipc_rpc_server *s, ipc_deadline d)
{
	struct ipc_rpc_request req;
	ipc_status st;

	ipc_py_deadline_arg = NULL;
	memset(&req, 0, sizeof(req));
	ipc_detail_clear();
	Py_BEGIN_ALLOW_THREADS
	st = ipc_rpc_server_recv(s, &req, d);
	Py_END_ALLOW_THREADS
	if (st == -ETIMEDOUT || st == -EAGAIN || st == -EINTR) {
		if (PyErr_CheckSignals() < 0)
			return NULL;
		Py_RETURN_NONE;
	}
	if (st < 0) {
		ipc_py_raise(st);
		return NULL;
	}
	return Py_BuildValue("(s#y#y#)", req.method, (Py_ssize_t)req.method_len,
	                     (const char *)req.args, (Py_ssize_t)req.args_len,
	                     (const char *)&req, (Py_ssize_t)sizeof(req));
}

/* py_rpc_server_reply(server, token, value, limit): encode and answer.
 * An encoding failure (a value that cannot go, or above @limit) raises
 * here, before anything is sent, so the caller can still answer with an
 * error. A result the channel refuses as too long is answered with an
 * error by the core itself. */
static PyObject *ipc_py_rpc_server_reply(ipc_rpc_server *s, PyObject *token,
                                         PyObject *value, size_t limit)
{
	struct ipc_rpc_request req;
	struct ipc_rpc_enc e;
	PyObject *res = NULL;
	ipc_status st;

	if (ipc_py_rpc_token(token, &req) < 0)
		return NULL;
	ipc_rpc_enc_init(&e, limit);
	if (ipc_py_rpc_encode_into(&e, value) == 0) {
		ipc_detail_clear();
		Py_BEGIN_ALLOW_THREADS
		st = ipc_rpc_server_reply(s, &req, e.data, e.len);
		Py_END_ALLOW_THREADS
		/* -EMSGSIZE: the core has told the caller already */
		if (st < 0 && st != -EMSGSIZE)
			ipc_py_raise(st);
		else
			res = SWIG_Py_Void();
	}
	ipc_rpc_enc_free(&e);
	return res;
}

/* py_rpc_server_reply_error(server, token, message) */
static PyObject *ipc_py_rpc_server_reply_error(ipc_rpc_server *s,
                                               PyObject *token,
                                               const char *msg)
{
	struct ipc_rpc_request req;
	ipc_status st;

	if (ipc_py_rpc_token(token, &req) < 0)
		return NULL;
	ipc_detail_clear();
	Py_BEGIN_ALLOW_THREADS
	st = ipc_rpc_server_reply_error(s, &req, msg);
	Py_END_ALLOW_THREADS
	if (st < 0) {
		ipc_py_raise(st);
		return NULL;
	}
	return SWIG_Py_Void();
}
%}

%include "ipc/rpc.h"
