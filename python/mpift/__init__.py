"""mpift from Python: stage files inside an MPI job run with mpi4py.

    from mpi4py import MPI
    import mpift

    result = mpift.stage_in("stage.cfg", comm=MPI.COMM_WORLD, set={"paths.dest": "/scratch/%j"})
    print(result.copies_written, result.nodes)

stage_in / stage_out open a context on the communicator, run, and close it;
a Context keeps one open for several runs and for the master/worker service
(serve, fetch, put, send_to, recv_from, done).  Every failure raises
mpift.Error (status, name, message, exit_code, fatal, result); the status
codes are mpift.Status, an IntEnum read from the library.  The package
drives libmpift.so through ctypes; $MPIFT_LIBRARY names another copy.
"""
from typing import Any, Iterable, Mapping, Optional, Union

from ._context import Context, ServeStats
from ._lib import library_path
from ._result import Failure, Node, Result
from ._status import Error, exit_status, status_name

__all__ = ["Context", "Error", "Failure", "Node", "Result", "STATUS_MAP", "ServeStats", "Status", "check_config",
           "exit_status", "library_path", "stage_in", "stage_out", "status_name", "strerror", "version"]


def __getattr__(name: str) -> Any:
    """The status codes, read from libmpift on first use (_status.py):
    Status (an IntEnum: Status.ERR_NOENT == -11), each code as OK,
    ERR_USAGE, ... and STATUS_MAP ((NAME, value, exit status), ...).
    Raises mpift.Error(ERR_ENV) when the library cannot be loaded."""
    from . import _status
    if name == "Status":
        return _status.table()[0]
    if name == "STATUS_MAP":
        return _status.status_table()
    if name == "OK" or name.startswith("ERR_"):
        try:
            return _status.table()[0][name]
        except KeyError:
            pass
    raise AttributeError("module 'mpift' has no attribute %r" % name)


def version() -> str:
    """The version of the libmpift this package drives ("0.2.0")."""
    from ._lib import lib
    return lib().mpift_version().decode()


def strerror(status: int) -> str:
    """The library's text for a status code."""
    from ._lib import strerror as text
    return text(status)


def stage_in(config: str, comm: Any = None, set: Optional[Union[Mapping[str, Any], Iterable[str]]] = None,
             force: bool = False, **options: Any) -> Result:
    """Collective over comm (default MPI.COMM_WORLD): stage the
    configuration's stage_in files onto every node; returns a Result.
    set: {"KEY": value} or ["KEY=VALUE"] overrides, like --set.  options:
    dry_run, verbose, quiet, progress ("auto", "always", "never", "jsonl":
    JSON lines on stderr, docs/report.md)."""
    with Context(config, comm, set=set, force=force, **options) as ctx:
        return ctx.stage_in()


def stage_out(config: str, comm: Any = None, set: Optional[Union[Mapping[str, Any], Iterable[str]]] = None,
              force: bool = False, **options: Any) -> Result:
    """Collective: gather the stage_out files onto rank 0 (paths.collect);
    returns a Result.  Arguments as for stage_in."""
    with Context(config, comm, set=set, force=force, **options) as ctx:
        return ctx.stage_out()


def check_config(config: str, set: Optional[Union[Mapping[str, Any], Iterable[str]]] = None) -> None:
    """Validate a configuration without an MPI job; raises mpift.Error
    (the errors are printed on stderr, file:line: key: cause)."""
    from . import _context, _lib
    dll = _lib.lib()
    opts, keep = _context.make_options(config, set)
    rc = dll.mpift_check_config(_lib.ctypes.byref(opts))
    del keep
    if rc != 0:
        raise Error(rc, "%s: %s" % (config, _lib.strerror(rc)))
