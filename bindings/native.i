/* native.i - C functions by name through libffi (ipc/native.h). The core
 * parses the signature and checks count, type and range; this file only
 * turns Python values into struct ipc_native_value by the signature's
 * types, and the result back. Stages are the host's: not wrapped. */
%{
#include <ipc/native.h>
%}

IPC_HANDLE(ipc_native)

%ignore ipc_native_call;          /* py_native_call below */
%ignore ipc_native_signature;     /* py_native_signature below */
%ignore ipc_native_sig_parse;     /* a struct: the open parses */
%ignore ipc_native_sig_format;
%ignore ipc_native_stage_check;
%ignore ipc_native_stage_run;
IPC_SLOW(ipc_native_open)         /* dlopen may run constructors, page in */

%{
/* One argument by its declared type. Views of buffers are taken into
 * @view (and counted in *@nviews) and held until the call returns: the
 * GIL is released meanwhile, and the export stops a bytearray from being
 * resized under the function. A writable buffer is exported writable, so
 * a bytearray can receive output. */
static int ipc_py_native_arg(PyObject *o, enum ipc_native_type t,
                             const char *name, unsigned int pos,
                             struct ipc_native_value *v, Py_buffer *view,
                             int *have_view)
{
	int overflow = 0;

	v->type = t;
	switch (t) {
	case IPC_NATIVE_I8:
	case IPC_NATIVE_I16:
	case IPC_NATIVE_I32:
	case IPC_NATIVE_I64:
		if (!PyLong_Check(o))
			goto bad_type;
		v->v.i = PyLong_AsLongLongAndOverflow(o, &overflow);
		if (v->v.i == -1 && PyErr_Occurred())
			return -1;
		if (overflow != 0)
			goto range;
		return 0;
	case IPC_NATIVE_U8:
	case IPC_NATIVE_U16:
	case IPC_NATIVE_U32:
	case IPC_NATIVE_U64:
	case IPC_NATIVE_PTR:
		if (t == IPC_NATIVE_PTR && o == Py_None) {
			v->v.p = NULL;
			return 0;
		}
		if (!PyLong_Check(o))
			goto bad_type;
		v->v.u = PyLong_AsUnsignedLongLong(o);
		if (v->v.u == (uint64_t)-1 && PyErr_Occurred()) {
			if (!PyErr_ExceptionMatches(PyExc_OverflowError))
				return -1;
			PyErr_Clear();
			goto range;
		}
		if (t == IPC_NATIVE_PTR)
			v->v.p = (void *)(uintptr_t)v->v.u;
		return 0;
	case IPC_NATIVE_F32:
	case IPC_NATIVE_F64:
		if (!PyFloat_Check(o) && !PyLong_Check(o))
			goto bad_type;
		v->v.f = PyFloat_AsDouble(o);
		if (v->v.f == -1.0 && PyErr_Occurred())
			return -1;
		return 0;
	case IPC_NATIVE_STR: {
		Py_ssize_t n;

		if (o == Py_None) {
			v->v.s = NULL;
			return 0;
		}
		if (PyUnicode_Check(o)) {
			/* UTF-8 cached in the str: alive as long as the args */
			v->v.s = PyUnicode_AsUTF8AndSize(o, &n);
			if (v->v.s == NULL)
				return -1;
		} else if (PyBytes_Check(o)) {
			v->v.s = PyBytes_AS_STRING(o);
			n = PyBytes_GET_SIZE(o);
		} else {
			goto bad_type;
		}
		if (strlen(v->v.s) != (size_t)n) {
			PyErr_Format(PyExc_ValueError,
			             "%s() argument %u: embedded null character",
			             name, pos);
			return -1;
		}
		return 0;
	}
	case IPC_NATIVE_BUF:
		if (PyUnicode_Check(o))
			goto bad_type;
		if (PyObject_GetBuffer(o, view, PyBUF_WRITABLE) < 0) {
			PyErr_Clear();
			if (PyObject_GetBuffer(o, view, PyBUF_SIMPLE) < 0) {
				PyErr_Clear();
				goto bad_type;
			}
		}
		*have_view = 1;
		v->v.buf.data = view->buf;
		v->v.buf.len = (size_t)view->len;
		return 0;
	default:
		break;
	}
bad_type:
	PyErr_Format(PyExc_TypeError, "%s() argument %u (%s): %s is not "
	             "accepted", name, pos, ipc_native_type_name(t),
	             Py_TYPE(o)->tp_name);
	return -1;
range:
	PyErr_Format(PyExc_OverflowError, "%s() argument %u: %R does not "
	             "fit %s", name, pos, o, ipc_native_type_name(t));
	return -1;
}

static PyObject *ipc_py_native_result(const struct ipc_native_value *r)
{
	switch (r->type) {
	case IPC_NATIVE_VOID:
		Py_RETURN_NONE;
	case IPC_NATIVE_I8:
	case IPC_NATIVE_I16:
	case IPC_NATIVE_I32:
	case IPC_NATIVE_I64:
		return PyLong_FromLongLong(r->v.i);
	case IPC_NATIVE_U8:
	case IPC_NATIVE_U16:
	case IPC_NATIVE_U32:
	case IPC_NATIVE_U64:
		return PyLong_FromUnsignedLongLong(r->v.u);
	case IPC_NATIVE_F32:
	case IPC_NATIVE_F64:
		return PyFloat_FromDouble(r->v.f);
	case IPC_NATIVE_PTR:
		return PyLong_FromUnsignedLongLong((uintptr_t)r->v.p);
	case IPC_NATIVE_STR:
		if (r->v.s == NULL)
			Py_RETURN_NONE;
		/* whatever the C string holds comes back (PEP 383) */
		return PyUnicode_DecodeUTF8(r->v.s, (Py_ssize_t)strlen(r->v.s),
		                            "surrogateescape");
	default:
		PyErr_Format(PyExc_SystemError, "native result of type %d",
		             (int)r->type);
		return NULL;
	}
}
%}

%inline %{
/* py_native_call(fn, name, args) -> result. @name is for messages only.
 * The count and the Python types are checked here (TypeError, as Python
 * does for its own functions); ranges of the C types are the core's
 * (-ERANGE: OverflowError). */
static PyObject *ipc_py_native_call(const ipc_native *fn, const char *name,
                                    PyObject *args)
{
	const struct ipc_native_sig *sig = ipc_native_signature(fn);
	struct ipc_native_value vals[IPC_NATIVE_MAX_ARGS];
	Py_buffer views[IPC_NATIVE_MAX_ARGS];
	int have_view[IPC_NATIVE_MAX_ARGS] = { 0 };
	struct ipc_native_value ret;
	PyObject *res = NULL;
	Py_ssize_t n;
	unsigned int i;
	const char *detail;
	ipc_status st;

	if (!PyTuple_Check(args)) {
		PyErr_SetString(PyExc_TypeError, "args must be a tuple");
		return NULL;
	}
	n = PyTuple_GET_SIZE(args);
	if (n != (Py_ssize_t)sig->nargs) {
		PyErr_Format(PyExc_TypeError, "%s() takes %u argument%s (%zd "
		             "given)", name, sig->nargs,
		             sig->nargs == 1 ? "" : "s", n);
		return NULL;
	}
	for (i = 0; i < sig->nargs; i++)
		if (ipc_py_native_arg(PyTuple_GET_ITEM(args, i), sig->args[i],
		                      name, i + 1, &vals[i], &views[i],
		                      &have_view[i]) < 0)
			goto out;
	memset(&ret, 0, sizeof(ret));
	ipc_detail_clear();
	/* The function may block (sleep, read): other threads run. */
	Py_BEGIN_ALLOW_THREADS
	st = ipc_native_call(fn, vals, sig->nargs, &ret);
	Py_END_ALLOW_THREADS
	detail = ipc_detail();
	if (detail == NULL || detail[0] == '\0')
		detail = ipc_strerror(st);
	if (st == -ERANGE)
		PyErr_Format(PyExc_OverflowError, "%s(): %s", name, detail);
	else if (st == -EINVAL)
		PyErr_Format(PyExc_TypeError, "%s(): %s", name, detail);
	else if (st < 0)
		ipc_py_raise(st);
	else
		res = ipc_py_native_result(&ret);
out:
	for (i = 0; i < sig->nargs; i++)
		if (have_view[i])
			PyBuffer_Release(&views[i]);
	return res;
}

/* The signature in canonical form ("f64(f64)"). */
static ipc_status ipc_py_native_signature(const ipc_native *fn, char *buf,
                                          size_t cap)
{
	return ipc_native_sig_format(ipc_native_signature(fn), buf, cap);
}
%}

%include "ipc/native.h"
