"""mpift.Context: one open mpift context on an mpi4py communicator.

Stage-in and stage-out results come from the library: the context is
opened with keep_result, so after each run every rank holds the same
report (mpift_result_json, the --report JSON, made in memory and shared
by the library), which Result reads; no file is written.
"""
import collections
import ctypes
import json
import os
from typing import Any, Iterable, Mapping, Optional, Union

from . import _lib
from ._result import Result
from ._status import ERR_ENV, Error, code

# What mpift_serve did (struct mpift_serve_stats).
ServeStats = collections.namedtuple("ServeStats", "requests failed bytes_out bytes_in peak_streams seconds")


def _value(v):
    if v is True or v is False:
        return "true" if v else "false"
    return str(v)


def c_name(what, name):
    """NAME (str, bytes or path) as the bytes C gets.  A NUL byte is
    refused: C would read the name cut short at it and act on another
    file, so nothing is done (mpift.Error ERR_USAGE)."""
    b = os.fsencode(os.fspath(name))
    if b"\0" in b:
        raise Error(code("ERR_USAGE"), "mpift: %s %r holds a NUL byte, which no file name or setting can: refused, "
                    "nothing was done" % (what, name))
    return b


def set_list(sets):
    """KEY=VALUE strings from a dict ({"transfer.chunk_size": "8M"}), one
    string, or an iterable of "KEY=VALUE" strings."""
    if sets is None:
        return []
    if isinstance(sets, (str, bytes)):
        sets = [sets]
    elif hasattr(sets, "items"):
        sets = ["%s=%s" % (k, _value(v)) for k, v in sets.items()]
    return [c_name("--set", s) for s in sets]


def make_options(config, sets, force=False, dry_run=False, verbose=False, quiet=False, progress="auto",
                 keep_result=False):
    """struct mpift_options, and the objects its pointers point into (keep
    them alive as long as the struct)."""
    if progress not in _lib.PROGRESS:
        raise ValueError("progress must be one of %s, not %r" % ("/".join(_lib.PROGRESS), progress))
    keep = [c_name("config", config)] + set_list(sets)
    arr = (ctypes.c_char_p * max(len(keep) - 1, 1))(*keep[1:])
    keep.append(arr)
    opts = _lib.Options(size=ctypes.sizeof(_lib.Options), config_path=keep[0], sets=arr, nsets=len(keep) - 2,
                        force=int(bool(force)), dry_run=int(bool(dry_run)), verbose=int(bool(verbose)),
                        quiet=int(bool(quiet)), progress=_lib.PROGRESS[progress],
                        keep_result=int(bool(keep_result)))
    return opts, keep


class Context(object):
    """An open mpift context: collective over `comm` (any mpi4py
    intracommunicator; mpift works on its own duplicate of it).

        with mpift.Context("stage.cfg", comm, set={"paths.dest": "/scratch/%r"}) as ctx:
            result = ctx.stage_in()

    Every rank of comm makes the same collective calls (open, stage_in,
    stage_out, close) in the same order.  The service calls pair ranks:
    serve() on rank 0 while workers fetch, put, send_to / recv_from and
    finally call done().  Close the context (or leave the with block)
    before MPI is finalized.  Failures raise mpift.Error.
    """

    def __init__(self, config: Union[str, "os.PathLike[str]"], comm: Any = None,
                 set: Optional[Union[Mapping[str, Any], Iterable[str]]] = None, force: bool = False,
                 dry_run: bool = False, verbose: bool = False, quiet: bool = False, progress: str = "auto") -> None:
        from mpi4py import MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.dry_run = bool(dry_run)
        self._ctx = ctypes.c_void_p()
        failed = None
        try:
            lib = _lib.lib()
            _lib.check_same_mpi(MPI)
            c_name("config", config)   # refused here, where every rank hears of it
            set_list(set)
        except Error as e:
            failed = e
        # Every rank learns whether every rank has mpift before any of them
        # waits in a collective that a rank without it would never reach.
        bad = [r for r, f in enumerate(self.comm.allgather(failed is not None)) if f]
        if failed is not None:
            raise failed
        if bad:
            raise Error(ERR_ENV, "mpift: rank%s %s of this communicator cannot use libmpift or refused its "
                        "arguments (its own mpift.Error says why); nothing was staged" % ("s" if len(bad) > 1 else "",
                                                                       ", ".join(map(str, bad))))
        opts, keep = make_options(config, set, force, dry_run, verbose, quiet, progress, keep_result=True)
        rc = lib.mpift_open(MPI._addressof(self.comm), ctypes.byref(opts), ctypes.byref(self._ctx))
        del keep
        if rc != code("OK"):
            raise Error(rc, "mpift_open %s: %s (rank 0 named the cause on stderr)" % (config, _lib.strerror(rc)))

    def _handle(self):
        if not self._ctx:
            raise Error(code("ERR_USAGE"), "mpift: the context is closed")
        return self._ctx

    # ------------------------------------------------------------ staging
    def stage_in(self) -> Result:
        """Collective: put the configuration's stage_in files on every
        node (or rank).  Returns a Result (None with dry_run)."""
        rc = _lib.lib().mpift_stage_in(self._handle())
        return self._staged(rc, "stage-in")

    def stage_out(self) -> Result:
        """Collective: gather the stage_out files onto rank 0 under
        paths.collect.  Returns a Result (None with dry_run)."""
        rc = _lib.lib().mpift_stage_out(self._handle())
        return self._staged(rc, "stage-out")

    def _result(self):
        """The run's Result from the library (the same on every rank), or
        None when it kept none (it said why on stderr)."""
        dll, text, size = _lib.lib(), ctypes.c_void_p(), ctypes.c_size_t()
        totals = _lib.ResultTotals(size=ctypes.sizeof(_lib.ResultTotals))
        if dll.mpift_result(self._ctx, ctypes.byref(totals)) != code("OK"):
            return None
        if dll.mpift_result_json(self._ctx, ctypes.byref(text), ctypes.byref(size)) != code("OK"):
            return None
        try:
            report = json.loads(ctypes.string_at(text, size.value).decode("utf-8", "surrogateescape"))
        finally:
            dll.mpift_free(text)
        return Result(report, totals)

    def _staged(self, rc, what):
        result = None
        # The library keeps a result after these two only (and no dry run).
        if rc in (code("OK"), code("ERR_FILES")) and not self.dry_run:
            result = self._result()
        if rc == code("OK"):
            return result
        raise Error(rc, self._stage_message(what, rc, result), result)

    @staticmethod
    def _stage_message(what, rc, result):
        """The status, then the failed copies grouped by rank and reason
        (a refused node fails all its copies for one reason), then how
        many copies were not sent because of them."""
        msg = "%s: %s" % (what, _lib.strerror(rc))
        if result is None or not result.failures:
            return msg + " (named on stderr by the ranks that saw it)"
        groups = collections.OrderedDict()
        for f in result.failures:
            if f.status != "not sent":
                groups.setdefault((f.rank, f.host, f.error or f.status), []).append(f.path)
        parts = []
        for (rank, host, why), paths in list(groups.items())[:3]:
            more = " and %d more" % (len(paths) - 3) if len(paths) > 3 else ""
            parts.append("%s%s on rank %s (%s): %s" % (", ".join(paths[:3]), more, rank, host, why))
        if len(groups) > 3:
            parts.append("%d more ranks or reasons" % (len(groups) - 3))
        not_sent = sum(1 for f in result.failures if f.status == "not sent")
        if not_sent:
            parts.append("%d copies not sent" % not_sent)
        return "%s: %s" % (msg, "; ".join(parts))

    # ------------------------------------------------------------ the service
    def _service(self, rc):
        if rc != code("OK"):
            why = _lib.lib().mpift_errmsg(self._ctx).decode(errors="replace") if self._ctx else ""
            raise Error(rc, why or _lib.strerror(rc))

    def serve(self) -> ServeStats:
        """Rank 0: serve the workers' requests until every worker is done.
        Returns ServeStats(requests, failed, bytes_out, bytes_in,
        peak_streams, seconds)."""
        st = _lib.ServeStats(size=ctypes.sizeof(_lib.ServeStats))
        self._service(_lib.lib().mpift_serve(self._handle(), ctypes.byref(st)))
        return ServeStats(st.requests, st.failed, st.bytes_out, st.bytes_in, st.peak_streams, st.seconds)

    def fetch(self, name: str) -> None:
        """A worker: master's paths.source/NAME -> this rank's dest root/NAME."""
        self._service(_lib.lib().mpift_fetch(self._handle(), c_name("fetch", name)))

    def put(self, name: str) -> None:
        """A worker: this rank's dest root/NAME -> master's paths.collect/NAME."""
        self._service(_lib.lib().mpift_put(self._handle(), c_name("put", name)))

    def send_to(self, name: str, rank: int) -> None:
        """A worker: dest root/NAME straight to worker RANK (which calls recv_from)."""
        self._service(_lib.lib().mpift_send_to(self._handle(), c_name("send_to", name), int(rank)))

    def recv_from(self, rank: int) -> str:
        """A worker: receive what worker RANK sends; returns the file's name."""
        buf = ctypes.create_string_buffer(4096)
        self._service(_lib.lib().mpift_recv_from(self._handle(), int(rank), buf, len(buf)))
        return os.fsdecode(buf.value)

    def done(self) -> None:
        """A worker: no more requests from this rank."""
        self._service(_lib.lib().mpift_done(self._handle()))

    @property
    def dest_root(self) -> str:
        """This rank's dest root (paths.dest expanded for it)."""
        return os.fsdecode(_lib.lib().mpift_dest_root(self._handle()))

    # ------------------------------------------------------------ closing
    def close(self) -> None:
        """Collective: free the context (a second call does nothing)."""
        if self._ctx:
            _lib.lib().mpift_close(ctypes.byref(self._ctx))
            self._ctx = ctypes.c_void_p()

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> bool:
        # After a fatal error the other ranks may never reach close(): do
        # not wait for them here, the caller aborts the job.
        if not (isinstance(value, Error) and value.fatal):
            self.close()
        return False
