# SPDX-License-Identifier: MIT
"""Build ipc._core from the core's sources and bindings/ipc.i (SWIG), and
package python/ipc. Used by `pip install --no-build-isolation .`; CMake
builds the same extension for the test suite and `cmake --install`."""

import glob
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def rel(*parts):
    return os.path.join(*parts)


# pip runs this file from its own directory: paths are relative to it.
os.chdir(HERE)

core = Extension(
    "ipc._core",
    sources=[rel("bindings", "ipc.i")] + sorted(glob.glob(rel("core", "src",
                                                              "*.c"))),
    swig_opts=["-noproxy", "-I" + rel("core", "include"),
               "-I" + rel("bindings")],
    include_dirs=[rel("core", "include"), rel("core", "src"),
                  rel("bindings")],
    define_macros=[("_GNU_SOURCE", None)],
    extra_compile_args=["-std=gnu11", "-fvisibility=hidden",
                        "-fno-strict-aliasing"],
    libraries=["m", "ffi", "dl"],
)

setup(
    packages=["ipc"],
    package_dir={"ipc": rel("python", "ipc")},
    package_data={"ipc": ["py.typed"]},
    ext_modules=[core],
)
