# MPIFT_CHECK_PYTHON: the Python package (python/mpift) drives libmpift
# through mpi4py, so it is built, installed and tested only with a python3
# whose mpi4py runs on the MPI of this build (with two MPIs installed, an
# mpi4py built for the other one cannot hand us a communicator).
#
# PYTHON=INTERPRETER picks the interpreter; otherwise the first of python3
# and /usr/bin/python3 that imports mpi4py (python3 on PATH may be a
# virtualenv or pyenv shim without it).  --without-python skips the package.
# Sets MPIFT_PYTHON (yes/no), mpift_python_why (for the summary), the
# conditional MPIFT_PYTHON, and AM_PATH_PYTHON's PYTHON and pkgpythondir.
AC_DEFUN([MPIFT_CHECK_PYTHON], [
  AC_ARG_WITH([python],
    [AS_HELP_STRING([--without-python],
      [do not build the Python package (default: built when python3 with mpi4py for this MPI is found;
       PYTHON=INTERPRETER picks the interpreter)])],
    [], [with_python=check])
  AS_IF([test "x$with_python" != xno && test -z "$PYTHON"], [
    for mpift_py in python3 /usr/bin/python3; do
      mpift_py=`command -v $mpift_py 2>/dev/null`
      AS_IF([test -n "$mpift_py" && "$mpift_py" -c 'import mpi4py' >/dev/null 2>&1], [PYTHON=$mpift_py; break])
    done
  ])
  AS_IF([test "x$with_python" = xno], [PYTHON=:])
  AM_PATH_PYTHON([3.5], [], [:])
  # Debian's Python reads packages from .../pythonX.Y/dist-packages (for
  # /usr/local too), not the site-packages that automake names: where the
  # interpreter's own path has dist-packages folders, install into one, so
  # that `make install` under the default prefix gives an importable mpift.
  AS_IF([test "x$PYTHON" != "x:" && \
         $PYTHON -c 'import sys; sys.exit(not any(p.endswith("/dist-packages") for p in sys.path))' 2>/dev/null],
    [pythondir=`echo "$pythondir" | sed 's|/site-packages$|/dist-packages|'`
     pyexecdir=`echo "$pyexecdir" | sed 's|/site-packages$|/dist-packages|'`])
  MPIFT_PYTHON=no
  AS_IF([test "x$with_python" = xno], [mpift_python_why="--without-python"],
    [test "x$PYTHON" = "x:"], [mpift_python_why="no python3 >= 3.5 (apt-get install python3 python3-mpi4py)"],
    [
    AC_MSG_CHECKING([for mpi4py on this MPI in $PYTHON])
    mpift_py_mpi=`$PYTHON -c '
import mpi4py
mpi4py.rc.initialize = False
from mpi4py import MPI
print(" ".join(MPI.Get_library_version().strip("\0 ").splitlines()[[0]].split()))' 2>/dev/null`
    AS_IF([test -z "$mpift_py_mpi"],
      [mpift_python_why="$PYTHON has no mpi4py (apt-get install python3-mpi4py, or PYTHON=INTERPRETER)"],
      [test -n "$mpift_mpi_library" && test "x$mpift_py_mpi" != "x$mpift_mpi_library"],
      [mpift_python_why="mpi4py runs on $mpift_py_mpi, this build on $mpift_mpi_library"],
      [MPIFT_PYTHON=yes
       mpift_python_dir=$pkgpythondir
       mpift_save_prefix=$prefix; mpift_save_exec_prefix=$exec_prefix
       AS_IF([test "x$prefix" = xNONE], [prefix=$ac_default_prefix])
       AS_IF([test "x$exec_prefix" = xNONE], [exec_prefix=$prefix])
       for mpift_i in 1 2 3 4 5; do mpift_python_dir=`eval echo "$mpift_python_dir"`; done
       prefix=$mpift_save_prefix; exec_prefix=$mpift_save_exec_prefix
       mpift_python_why="$PYTHON, mpift package in $mpift_python_dir"])
    AC_MSG_RESULT([$MPIFT_PYTHON])
  ])
  AS_IF([test "x$with_python" = xyes && test "x$MPIFT_PYTHON" != xyes],
    [AC_MSG_ERROR([--with-python: $mpift_python_why])])
  AM_CONDITIONAL([MPIFT_PYTHON], [test "x$MPIFT_PYTHON" = xyes])
  AC_SUBST([MPIFT_PYTHON])
])
