"""libmpift through ctypes: finding and loading it, and the C prototypes.

The package is pure Python: it drives the same libmpift.so that C
programs link (include/mpift/mpift.h), so it needs no compiler, works with
any Python 3 that has mpi4py, and cannot drift from the C API it mirrors.
"""
import ctypes
import ctypes.util
import os

from ._status import Error

c_int, c_char_p, c_void_p, c_size_t = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t

PROGRESS = {"auto": 0, "always": 1, "never": 2}


class Options(ctypes.Structure):
    """struct mpift_options (fields are only ever appended in mpift.h)."""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("config_path", c_char_p),
        ("sets", ctypes.POINTER(c_char_p)),
        ("nsets", c_size_t),
        ("force", c_int),
        ("dry_run", c_int),
        ("verbose", c_int),
        ("quiet", c_int),
        ("progress", c_int),
        ("report_path", c_char_p),
        ("module_path", c_char_p),
    ]


class ServeStats(ctypes.Structure):
    """struct mpift_serve_stats."""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("requests", ctypes.c_uint64),
        ("failed", ctypes.c_uint64),
        ("bytes_out", ctypes.c_uint64),
        ("bytes_in", ctypes.c_uint64),
        ("peak_streams", c_int),
        ("seconds", ctypes.c_double),
    ]


_PROTOTYPES = {
    "mpift_strerror": (c_char_p, [c_int]),
    "mpift_version": (c_char_p, []),
    "mpift_open": (c_int, [c_void_p, ctypes.POINTER(Options), ctypes.POINTER(c_void_p)]),
    "mpift_stage_in": (c_int, [c_void_p]),
    "mpift_stage_out": (c_int, [c_void_p]),
    "mpift_close": (c_int, [ctypes.POINTER(c_void_p)]),
    "mpift_check_config": (c_int, [ctypes.POINTER(Options)]),
    "mpift_serve": (c_int, [c_void_p, ctypes.POINTER(ServeStats)]),
    "mpift_fetch": (c_int, [c_void_p, c_char_p]),
    "mpift_put": (c_int, [c_void_p, c_char_p]),
    "mpift_send_to": (c_int, [c_void_p, c_char_p, c_int]),
    "mpift_recv_from": (c_int, [c_void_p, c_int, c_char_p, c_size_t]),
    "mpift_done": (c_int, [c_void_p]),
    "mpift_dest_root": (c_char_p, [c_void_p]),
    "mpift_errmsg": (c_char_p, [c_void_p]),
    "MPI_Get_library_version": (c_int, [c_char_p, ctypes.POINTER(c_int)]),
}

_ERR_ENV = -6
_lib = None


def library_path():
    """The libmpift this package loads: $MPIFT_LIBRARY, else the one it was
    installed with, else whatever the dynamic linker finds as "mpift"."""
    env = os.environ.get("MPIFT_LIBRARY")
    if env:
        return env
    try:
        from . import _config
        return _config.LIBMPIFT
    except ImportError:   # the source tree: not installed, not configured
        return ctypes.util.find_library("mpift")


def lib():
    """The loaded library (loaded on first use), or Error(ERR_ENV)."""
    global _lib
    if _lib is not None:
        return _lib
    path = library_path()
    if not path:
        raise Error(_ERR_ENV, "mpift: libmpift not found: install mpift (make install) "
                    "or set MPIFT_LIBRARY to the path of libmpift.so")
    try:
        dll = ctypes.CDLL(path)
    except OSError as e:
        raise Error(_ERR_ENV, "mpift: cannot load %s: %s (set MPIFT_LIBRARY to the libmpift.so "
                    "this package should use)" % (path, e))
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(dll, name)
        fn.restype = restype
        fn.argtypes = argtypes
    dll.path = path
    _lib = dll
    return dll


def strerror(status):
    """The library's text for a status code ("no such file")."""
    return lib().mpift_strerror(status).decode()


def mpi_library_version(dll):
    """MPI_Get_library_version() of the MPI that libmpift is linked with
    (ctypes looks the symbol up through libmpift's own dependencies)."""
    buf = ctypes.create_string_buffer(16384)
    n = c_int(0)
    dll.MPI_Get_library_version(buf, ctypes.byref(n))
    return buf.value.decode(errors="replace")


def check_same_mpi(MPI):
    """Refuse to run when mpi4py and libmpift use two different MPIs: each
    would have its own MPI_Comm type, and the handle mpi4py gives could not
    mean anything to libmpift."""
    dll = lib()
    ours = mpi_library_version(dll).strip("\0 \t\n")
    theirs = MPI.Get_library_version().strip("\0 \t\n")   # mpi4py keeps the C string's NUL
    if ours != theirs:
        raise Error(_ERR_ENV, "mpift: mpi4py runs on %s but %s is built for %s: use an mpi4py and a "
                    "libmpift built for the same MPI (MPIFT_LIBRARY selects the library)"
                    % (theirs.splitlines()[0].strip(), dll.path, ours.splitlines()[0].strip()))
