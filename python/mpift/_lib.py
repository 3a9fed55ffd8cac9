"""libmpift through ctypes: finding and loading it, and the C prototypes.

The package is pure Python: it drives the same libmpift.so that C
programs link (include/mpift/mpift.h), so it needs no compiler, works with
any Python 3 that has mpi4py, and cannot drift from the C API it mirrors.
"""
import ctypes
import ctypes.util
import os
import subprocess
from typing import Any, List, Optional, Tuple

from ._status import ERR_ENV, Error

c_int, c_char_p, c_void_p, c_size_t = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t

PROGRESS = {"auto": 0, "always": 1, "never": 2, "jsonl": 3}   # enum mpift_progress; jsonl: on stderr


# The structs of mpift.h this package passes to C.  Fields are only ever
# appended there; tests/integration/mirrors.sh compares each one's size and
# offsets with the C compiler's.


class Options(ctypes.Structure):
    """struct mpift_options."""
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
        ("config_text", c_char_p),
        ("as_user", c_int),
        ("as_uid", ctypes.c_uint32),
        ("as_gid", ctypes.c_uint32),
        ("progress_fd", c_int),
        ("refused", c_int),
        ("keep_result", c_int),
    ]


class ResultTotals(ctypes.Structure):
    """struct mpift_result."""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("status", c_int),
        ("mode", c_int),
        ("files", ctypes.c_uint64),
        ("bytes", ctypes.c_uint64),
        ("copies_written", ctypes.c_uint64),
        ("unchanged", ctypes.c_uint64),
        ("failed", ctypes.c_uint64),
        ("bytes_written", ctypes.c_uint64),
        ("wire_bytes", ctypes.c_uint64),
        ("folders_not_read", ctypes.c_uint64),
        ("seconds", ctypes.c_double),
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
    "mpift_status_name": (c_char_p, [c_int]),
    "mpift_status_exit": (c_int, [c_int]),
    "mpift_result": (c_int, [c_void_p, ctypes.POINTER(ResultTotals)]),
    "mpift_result_json": (c_int, [c_void_p, ctypes.POINTER(c_void_p), ctypes.POINTER(c_size_t)]),
    "mpift_free": (None, [c_void_p]),
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

_lib: Optional[ctypes.CDLL] = None


def _configured():
    """The path `make install` (or a package) wrote into _config.py, or None
    (the source tree, or a pip install of ./python from a clean clone)."""
    try:
        from . import _config
    except ImportError:
        return None
    return getattr(_config, "LIBMPIFT", None) or None


def _from_pkg_config():
    """libdir/libmpift.so.0 from `pkg-config --variable=libdir mpift`, or
    None (no pkg-config, or no mpift.pc on its path)."""
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "mpift"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = out.decode(errors="replace").strip()
    return os.path.join(libdir, "libmpift.so.0") if libdir else None


def _candidates() -> List[Tuple[str, Optional[str]]]:
    """Where to look, in order: (where it came from, path or None)."""
    return [
        ("MPIFT_LIBRARY", os.environ.get("MPIFT_LIBRARY") or None),
        ("the configured path", _configured()),
        ("pkg-config --variable=libdir mpift", _from_pkg_config()),
        ("ctypes.util.find_library('mpift')", ctypes.util.find_library("mpift")),
    ]


def _usable(path: str) -> bool:
    """A path names a file, or a bare soname the dynamic linker resolves."""
    return os.sep not in path or os.path.exists(path)


def library_path() -> Optional[str]:
    """The libmpift this package loads: $MPIFT_LIBRARY, else the path it
    was configured with (make install, a distribution package), else
    pkg-config's libdir for mpift, else whatever the dynamic linker finds
    as "mpift"; None when none of them gives one.  MPIFT_LIBRARY is taken
    as it is, so that a wrong one is named rather than passed over."""
    for origin, path in _candidates():
        if path and (origin == "MPIFT_LIBRARY" or _usable(path)):
            return path
    return None


def _not_found() -> Error:
    tried = "; ".join("%s: %s" % (origin, path or "none") for origin, path in _candidates())
    return Error(ERR_ENV, "mpift: libmpift not found (tried %s): install it (Debian: apt-get install "
                 "libmpift0; Spack: spack install mpift; from source: make install, then "
                 "PKG_CONFIG_PATH=PREFIX/lib/pkgconfig) or set MPIFT_LIBRARY to the path of libmpift.so.0" % tried)


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use), or Error(ERR_ENV)."""
    global _lib
    if _lib is not None:
        return _lib
    path = library_path()
    if not path:
        raise _not_found()
    try:
        dll = ctypes.CDLL(path)
    except OSError as e:
        raise Error(ERR_ENV, "mpift: cannot load %s: %s (set MPIFT_LIBRARY to the libmpift.so.0 "
                    "this package should use)" % (path, e))
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(dll, name)
        fn.restype = restype
        fn.argtypes = argtypes
    dll.path = path
    _lib = dll
    return dll


def strerror(status: int) -> str:
    """The library's text for a status code ("no such file")."""
    return lib().mpift_strerror(status).decode()


def mpi_library_version(dll: ctypes.CDLL) -> str:
    """MPI_Get_library_version() of the MPI that libmpift is linked with
    (ctypes looks the symbol up through libmpift's own dependencies)."""
    buf = ctypes.create_string_buffer(16384)
    n = c_int(0)
    dll.MPI_Get_library_version(buf, ctypes.byref(n))
    return buf.value.decode(errors="replace")


def check_same_mpi(MPI: Any) -> None:
    """Refuse to run when mpi4py and libmpift use two different MPIs: each
    would have its own MPI_Comm type, and the handle mpi4py gives could not
    mean anything to libmpift."""
    dll = lib()
    ours = mpi_library_version(dll).strip("\0 \t\n")
    theirs = MPI.Get_library_version().strip("\0 \t\n")   # mpi4py keeps the C string's NUL
    if ours != theirs:
        raise Error(ERR_ENV, "mpift: mpi4py runs on %s but %s is built for %s: use an mpi4py and a "
                    "libmpift built for the same MPI (MPIFT_LIBRARY selects the library)"
                    % (theirs.splitlines()[0].strip(), dll.path, ours.splitlines()[0].strip()))
