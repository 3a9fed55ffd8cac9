"""mpift status codes and the exception that carries them.

The table mirrors MPIFT_STATUS_MAP in include/mpift/mpift.h (name, value,
exit status of mpift-stage); `make check` (tests/integration/python.sh)
compares the two, so a code added there without one here fails the tests.
The texts are not copied: Error asks the library (mpift_strerror).
"""

# (NAME, value, exit status)
STATUS_MAP = (
    ("OK", 0, 0),
    ("ERR_USAGE", -1, 2),
    ("ERR_CONFIG", -2, 2),
    ("ERR_NOMEM", -3, 3),
    ("ERR_IO", -4, 1),
    ("ERR_FILES", -5, 1),
    ("ERR_ENV", -6, 3),
    ("ERR_MPI", -7, 3),
    ("ERR_PROTO", -8, 1),
    ("ERR_CHECKSUM", -9, 1),
    ("ERR_ESCAPE", -10, 1),
    ("ERR_NOENT", -11, 1),
    ("ERR_ABI", -12, 3),
    ("ERR_RANGE", -13, 2),
    ("ERR_UNSUPPORTED", -14, 2),
)

_NAMES = {value: name for name, value, _ in STATUS_MAP}
_EXITS = {value: code for _, value, code in STATUS_MAP}

# A collective call that fails with one of these leaves this rank unable to
# agree with the others (mpift.h): the job must end with comm.Abort().
FATAL = frozenset((-7, -8, -3))   # ERR_MPI, ERR_PROTO, ERR_NOMEM


def status_name(status: int) -> str:
    """"ERR_NOENT" for -11; "UNKNOWN(<n>)" for a code not in the list."""
    return _NAMES.get(status, "UNKNOWN(%d)" % status)


def exit_status(status: int) -> int:
    """The exit status mpift-stage uses for a status (1 for an unknown one)."""
    return _EXITS.get(status, 1)


class Error(Exception):
    """A failed mpift call.

    status     the mpift status code (negative; compare with mpift.ERR_*)
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
        self.fatal = status in FATAL
        self.result = result

    def __str__(self):
        return "%s [%s]" % (self.message, self.name)
