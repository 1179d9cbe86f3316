/* proc.i - spawn, wait, kill. struct ipc_proc_opts is built from Python
 * values here (translation only: the wiring, the closing of other
 * descriptors and PATH search are the core's). */
IPC_BLOCKING(ipc_proc_wait)
%ignore ipc_proc_spawn;
%ignore ipc_proc_opts;
%ignore ipc_proc_returncode; /* proc_wait returns it (typemaps.i) */
%ignore ipc_proc_status;
%{
/* A NULL-terminated array of the strings of a sequence (None: NULL). */
static int ipc_py_strv(PyObject *o, const char ***out, PyObject **keep)
{
	Py_ssize_t i, n;
	const char **v;

	*out = NULL;
	*keep = NULL;
	if (o == Py_None)
		return 0;
	*keep = PySequence_Fast(o, "a sequence of str is expected");
	if (*keep == NULL)
		return -1;
	n = PySequence_Fast_GET_SIZE(*keep);
	v = PyMem_Calloc((size_t)n + 1, sizeof(*v));
	if (v == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	for (i = 0; i < n; i++) {
		PyObject *it = PySequence_Fast_GET_ITEM(*keep, i);

		if (!PyUnicode_Check(it)) {
			PyMem_Free(v);
			PyErr_SetString(PyExc_TypeError,
			                "a sequence of str is expected");
			return -1;
		}
		v[i] = PyUnicode_AsUTF8(it);
		if (v[i] == NULL) {
			PyMem_Free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}
%}

%inline %{
/*
 * proc_spawn(argv, envp, cwd, fds, endpoints, flags) -> handle
 * argv, envp: sequences of str (envp None: ours); fds: a sequence of
 * (child_fd, parent_fd) pairs, parent_fd -1 for /dev/null.
 */
static PyObject *ipc_py_proc_spawn(PyObject *argv, PyObject *envp,
                                   const char *cwd, PyObject *fds,
                                   const char *endpoints, unsigned int flags)
{
	struct ipc_proc_opts o;
	struct ipc_proc_fd *wires = NULL;
	PyObject *kargv = NULL, *kenv = NULL, *seq = NULL, *res = NULL;
	const char **av = NULL, **ev = NULL;
	ipc_proc *p = NULL;
	ipc_status st;
	Py_ssize_t i, n = 0;

	memset(&o, 0, sizeof(o));
	if (ipc_py_strv(argv, &av, &kargv) < 0 || av == NULL ||
	    ipc_py_strv(envp, &ev, &kenv) < 0) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_TypeError, "argv is required");
		goto out;
	}
	seq = PySequence_Fast(fds, "fds is a sequence of (child, parent)");
	if (seq == NULL)
		goto out;
	n = PySequence_Fast_GET_SIZE(seq);
	wires = PyMem_Calloc((size_t)n + 1, sizeof(*wires));
	if (wires == NULL) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i),
		                      "ii;each wire is (child_fd, parent_fd)",
		                      &wires[i].child_fd, &wires[i].parent_fd))
			goto out;
	o.argv = av;
	o.envp = ev;
	o.cwd = cwd;
	o.fds = wires;
	o.nfds = (size_t)n;
	o.endpoints = endpoints;
	o.flags = flags;
	Py_BEGIN_ALLOW_THREADS
	st = ipc_proc_spawn(&p, &o);
	Py_END_ALLOW_THREADS
	if (st < 0) {
		ipc_py_raise(st);
		goto out;
	}
	res = SWIG_NewPointerObj(SWIG_as_voidptr(p), SWIGTYPE_p_ipc_proc, 0);
out:
	PyMem_Free(av);
	PyMem_Free(ev);
	PyMem_Free(wires);
	Py_XDECREF(kargv);
	Py_XDECREF(kenv);
	Py_XDECREF(seq);
	return res;
}
%}
%include "ipc/proc.h"
%clear int32_t;
