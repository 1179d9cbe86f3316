/* SPDX-License-Identifier: MIT */
/*
 * python/mapping.i - _core.mapping(addr, size, readonly): a buffer over
 * memory the core mapped and has no descriptor for (System V segments).
 * It counts its exports like mmap.mmap does, so release() raises
 * BufferError while a memoryview of it exists: the segment is never
 * detached under a live view. Memory with a descriptor is mapped with the
 * mmap module instead (STYLE.md 2.8).
 */
%{
typedef struct {
	PyObject_HEAD
	void *addr;		/* NULL once released */
	Py_ssize_t size;
	int readonly;
	Py_ssize_t exports;
} ipc_py_mapping;

static int ipc_py_mapping_getbuf(PyObject *self, Py_buffer *view, int flags)
{
	ipc_py_mapping *m = (ipc_py_mapping *)self;

	if (m->addr == NULL) {
		PyErr_SetString(PyExc_ValueError, "mapping released");
		view->obj = NULL;
		return -1;
	}
	if (PyBuffer_FillInfo(view, self, m->addr, m->size, m->readonly,
	                      flags) < 0)
		return -1;
	m->exports++;
	return 0;
}

static void ipc_py_mapping_relbuf(PyObject *self, Py_buffer *view)
{
	(void)view;
	((ipc_py_mapping *)self)->exports--;
}

static PyBufferProcs ipc_py_mapping_as_buffer = {
	ipc_py_mapping_getbuf, ipc_py_mapping_relbuf
};

static PyObject *ipc_py_mapping_release(PyObject *self, PyObject *unused)
{
	ipc_py_mapping *m = (ipc_py_mapping *)self;

	(void)unused;
	if (m->exports > 0) {
		PyErr_SetString(PyExc_BufferError,
		                "cannot close exported pointers exist");
		return NULL;
	}
	m->addr = NULL;
	Py_RETURN_NONE;
}

static PyObject *ipc_py_mapping_exports(PyObject *self, void *closure)
{
	(void)closure;
	return PyLong_FromSsize_t(((ipc_py_mapping *)self)->exports);
}

static PyMethodDef ipc_py_mapping_methods[] = {
	{"release", ipc_py_mapping_release, METH_NOARGS,
	 "Forget the memory; BufferError while views of it exist."},
	{NULL, NULL, 0, NULL}
};

static PyGetSetDef ipc_py_mapping_getset[] = {
	{"exports", ipc_py_mapping_exports, NULL, "live buffer exports", NULL},
	{NULL, NULL, NULL, NULL, NULL}
};

static PyTypeObject ipc_py_mapping_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ipc._core.mapping",
	.tp_basicsize = sizeof(ipc_py_mapping),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A buffer over memory mapped by the core.",
	.tp_as_buffer = &ipc_py_mapping_as_buffer,
	.tp_methods = ipc_py_mapping_methods,
	.tp_getset = ipc_py_mapping_getset,
};

/* mapping(addr, size, readonly) */
static PyObject *ipc_py_mapping_new(PyObject *self, PyObject *args)
{
	PyObject *addr;
	Py_ssize_t size;
	int readonly;
	ipc_py_mapping *m;

	(void)self;
	if (!PyArg_ParseTuple(args, "Onp:mapping", &addr, &size, &readonly))
		return NULL;
	if (size < 0) {
		PyErr_SetString(PyExc_ValueError, "size must be >= 0");
		return NULL;
	}
	m = PyObject_New(ipc_py_mapping, &ipc_py_mapping_type);
	if (m == NULL)
		return NULL;
	m->addr = PyLong_AsVoidPtr(addr);
	if (m->addr == NULL) {
		Py_DECREF(m);
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_ValueError, "NULL address");
		return NULL;
	}
	m->size = size;
	m->readonly = readonly;
	m->exports = 0;
	return (PyObject *)m;
}
%}

%native(mapping) PyObject *ipc_py_mapping_new(PyObject *self, PyObject *args);

%init %{
	if (PyType_Ready(&ipc_py_mapping_type) < 0)
		return NULL;
%}
