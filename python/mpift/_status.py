"""mpift status codes, read from the library, and the exception that
carries them.

The codes are libmpift's own (MPIFT_STATUS_MAP in mpift.h): on first use
the package walks mpift_status_name(0), (-1), (-2), ... down to the first
NULL (mpift.h keeps the list without gaps), making the IntEnum `Status`
from the names and asking mpift_status_exit for each exit status, so a
code added in C is here with no copy to update.  The one code written
here is ERR_ENV: the package raises it when it has no library to ask
(none found, or it does not load); tests/integration/python.sh checks it
against the library.  The texts come from mpift_strerror.
"""
import enum
from typing import Dict, Optional, Tuple

# The status of a library that cannot be found or loaded, and its exit
# status: needed before there is a library to ask.
ERR_ENV, _ERR_ENV_NAME, _ERR_ENV_EXIT = -6, "ERR_ENV", 3

# A collective call that fails with one of these leaves this rank unable to
# agree with the others (mpift.h): the job must end with comm.Abort().
_FATAL_NAMES = frozenset(("ERR_MPI", "ERR_PROTO", "ERR_NOMEM"))

_table: Optional[Tuple[type, Dict[int, int]]] = None


def table() -> Tuple[type, Dict[int, int]]:
    """(Status, {code: exit status}) as the library gives them; raises
    Error(ERR_ENV) when the library cannot be loaded."""
    global _table
    if _table is None:
        from . import _lib
        dll = _lib.lib()
        members, exits, code = [], {}, 0
        while True:
            name = dll.mpift_status_name(code)
            if name is None:
                break
            members.append((name.decode()[len("MPIFT_"):], code))
            exits[code] = dll.mpift_status_exit(code)
            code -= 1
        _table = (enum.IntEnum("Status", members, module=__name__.rpartition(".")[0]), exits)
    return _table


def code(name: str) -> int:
    """The value of the status called NAME ("ERR_USAGE")."""
    return int(table()[0][name])


def status_table() -> Tuple[Tuple[str, int, int], ...]:
    """((NAME, value, exit status), ...) in the library's order."""
    status, exits = table()
    return tuple((s.name, s.value, exits[s.value]) for s in status)


def _known(status: int) -> Tuple[Optional[str], Optional[int]]:
    """(name, exit status) of a code, or (None, None) for one not in the
    list (or any but ERR_ENV when the library cannot be loaded)."""
    if status == ERR_ENV:   # without asking: raised when the library does not load
        return _ERR_ENV_NAME, _ERR_ENV_EXIT
    try:
        status_enum, exits = table()
    except Error:
        return None, None
    try:
        return status_enum(status).name, exits[status]
    except ValueError:
        return None, None


def status_name(status: int) -> str:
    """"ERR_NOENT" for -11; "UNKNOWN(<n>)" for a code not in the list."""
    return _known(status)[0] or "UNKNOWN(%d)" % status


def exit_status(status: int) -> int:
    """The exit status mpift-stage uses for a status (1 for an unknown one)."""
    code = _known(status)[1]
    return 1 if code is None else code


class Error(Exception):
    """A failed mpift call.

    status     the mpift status code (negative; compare with mpift.Status
               members, mpift.ERR_NOENT ...)
    name       its name ("ERR_NOENT")
    message    what failed and why (file, rank, host, cause)
    exit_code  the exit status mpift-stage would end with (1, 2 or 3)
    fatal      True when this rank can no longer agree with the others
               (MPI, protocol or memory failure in a collective call):
               end the job with comm.Abort(error.exit_code)
    result     for a stage-in or stage-out whose files failed
               (ERR_FILES), the run's Result with the failures; else None
    """

    def __init__(self, status, message, result=None):
        Exception.__init__(self, message)
        self.status = status
        self.name = status_name(status)
        self.message = message
        self.exit_code = exit_status(status)
        self.fatal = self.name in _FATAL_NAMES
        self.result = result

    def __str__(self):
        return "%s [%s]" % (self.message, self.name)
