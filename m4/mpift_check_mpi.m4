# MPIFT_CHECK_MPI: the MPI to build against (MPI_CFLAGS, MPI_LIBS), its
# family (MPIFT_MPI_FAMILY: openmpi, mpich or other; the conditionals
# MPIFT_OPENMPI and MPIFT_MPICH) and its launcher for make check (MPIRUN).
#
#   --with-mpi            Open MPI if found (pkg-config ompi-c, mpicc.openmpi),
#                         else the system default (pkg-config mpi-c, mpicc)
#   --with-mpi=openmpi    Open MPI: pkg-config ompi-c, else mpicc.openmpi
#   --with-mpi=mpich      MPICH and its family (Intel MPI, MVAPICH, Cray
#                         MPICH): mpicc.mpich, else mpicc
#   --with-mpi=DIR        DIR/include and DIR/lib -lmpi (or -lmpich)
#   MPICC=WRAPPER         take the flags from that compiler wrapper
#                         (--showme:* for Open MPI, -compile_info for MPICH)
#
# Two MPIs installed side by side (Debian: Open MPI and MPICH) build one
# tree each, out of tree.
AC_DEFUN([MPIFT_CHECK_MPI], [
  AC_ARG_WITH([mpi],
    [AS_HELP_STRING([--with-mpi=openmpi|mpich|DIR],
      [the MPI to build against: Open MPI (the default), MPICH (or one of its family), or an installation
       prefix; MPICC=WRAPPER takes the flags from an MPI compiler wrapper instead])],
    [], [with_mpi=check])
  AC_ARG_VAR([MPICC], [MPI C compiler wrapper to take MPI's flags from (mpicc.mpich, mpiicc, cc on Cray)])
  mpift_mpi_found=no
  mpift_mpi_how=
  AS_CASE([$with_mpi],
    [no], [AC_MSG_ERROR([mpift needs MPI: --without-mpi is not possible])],
    [check|yes|openmpi|mpich], [],
    [MPI_CFLAGS="-I$with_mpi/include"
     MPI_LIBS="-L$with_mpi/lib -Wl,-rpath -Wl,$with_mpi/lib -lmpi"
     AS_IF([test -f "$with_mpi/lib/libmpich.so" && test ! -f "$with_mpi/lib/libmpi.so"],
           [MPI_LIBS="-L$with_mpi/lib -Wl,-rpath -Wl,$with_mpi/lib -lmpich"])
     mpift_mpi_found=yes mpift_mpi_how="--with-mpi=$with_mpi"])
  AS_IF([test "x$mpift_mpi_found" = xno && test -n "$MPICC"], [
    _MPIFT_MPI_FROM_WRAPPER([$MPICC])
    AS_IF([test "x$mpift_mpi_found" = xno], [AC_MSG_ERROR([MPICC=$MPICC gives no MPI flags (neither --showme:link nor -link_info)])])
  ])
  AS_IF([test "x$mpift_mpi_found" = xno && test "x$with_mpi" != xmpich], [
    PKG_CHECK_MODULES([MPI], [ompi-c], [mpift_mpi_found=yes mpift_mpi_how="pkg-config ompi-c"], [
      _MPIFT_MPI_FROM_WRAPPER([mpicc.openmpi])])
  ])
  AS_IF([test "x$mpift_mpi_found" = xno && test "x$with_mpi" = xmpich], [
    _MPIFT_MPI_FROM_WRAPPER([mpicc.mpich])
    AS_IF([test "x$mpift_mpi_found" = xno], [_MPIFT_MPI_FROM_WRAPPER([mpicc])])
  ])
  AS_IF([test "x$mpift_mpi_found" = xno && test "x$with_mpi" != xopenmpi && test "x$with_mpi" != xmpich], [
    PKG_CHECK_MODULES([MPI], [mpi-c], [mpift_mpi_found=yes mpift_mpi_how="pkg-config mpi-c"], [
      _MPIFT_MPI_FROM_WRAPPER([mpicc])])
  ])
  AS_IF([test "x$mpift_mpi_found" = xyes], [
    mpift_save_CFLAGS=$CFLAGS; mpift_save_LIBS=$LIBS
    CFLAGS="$CFLAGS $MPI_CFLAGS"; LIBS="$MPI_LIBS $LIBS"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]],
        [[MPI_Comm c; return MPI_Comm_dup(MPI_COMM_WORLD, &c);]])],
      [], [mpift_mpi_found=no])
    CFLAGS=$mpift_save_CFLAGS; LIBS=$mpift_save_LIBS
  ])
  AS_IF([test "x$mpift_mpi_found" != xyes], [
    AS_CASE([$with_mpi],
      [mpich], [AC_MSG_ERROR([MPICH development files not found (mpicc.mpich or mpicc).
    On Debian/Ubuntu: apt-get install libmpich-dev mpich
    Or name the wrapper: ./configure MPICC=/path/to/mpicc])],
      [AC_MSG_ERROR([MPI development files not found.
    On Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin (or libmpich-dev mpich with --with-mpi=mpich)
    Or point at an install: ./configure --with-mpi=DIR, or MPICC=WRAPPER])])
  ])
  _MPIFT_MPI_FAMILY
  _MPIFT_MPI_STATUSES_IGNORE
  AM_CONDITIONAL([MPIFT_OPENMPI], [test "x$MPIFT_MPI_FAMILY" = xopenmpi])
  AM_CONDITIONAL([MPIFT_MPICH], [test "x$MPIFT_MPI_FAMILY" = xmpich])
  AC_SUBST([MPIFT_MPI_FAMILY])
  AC_SUBST([MPI_CFLAGS])
  AC_SUBST([MPI_LIBS])

  # The launcher for make check: the one that belongs to this MPI (with both
  # installed, plain mpirun is whichever the system's alternatives chose).
  AS_CASE([$MPIFT_MPI_FAMILY],
    [mpich], [AC_PATH_PROGS([MPIRUN], [mpiexec.mpich mpiexec.hydra mpiexec mpirun], [])],
    [AC_PATH_PROGS([MPIRUN], [mpirun.openmpi mpirun mpiexec], [])])
  AC_ARG_VAR([MPIRUN], [MPI launcher used by make check])
])

# _MPIFT_MPI_FROM_WRAPPER(WRAPPER): MPI_CFLAGS and MPI_LIBS from a compiler
# wrapper: Open MPI's --showme:compile/--showme:link, else MPICH's
# -compile_info/-link_info (whose first word is the compiler itself).
AC_DEFUN([_MPIFT_MPI_FROM_WRAPPER], [
  mpift_wrapper=`command -v $1 2>/dev/null`
  AS_IF([test -n "$mpift_wrapper"], [
    MPI_CFLAGS=`$mpift_wrapper --showme:compile 2>/dev/null`
    MPI_LIBS=`$mpift_wrapper --showme:link 2>/dev/null`
    AS_IF([test -z "$MPI_LIBS"], [
      MPI_CFLAGS=
      MPI_LIBS=
      for mpift_w in `$mpift_wrapper -compile_info 2>/dev/null`; do
        AS_CASE([$mpift_w], [-I*|-D*|-pthread], [MPI_CFLAGS="$MPI_CFLAGS $mpift_w"])
      done
      for mpift_w in `$mpift_wrapper -link_info 2>/dev/null`; do
        AS_CASE([$mpift_w], [-L*|-l*|-Wl,*|-pthread], [MPI_LIBS="$MPI_LIBS $mpift_w"])
      done
    ])
    AS_IF([test -n "$MPI_LIBS"], [mpift_mpi_found=yes mpift_mpi_how="$mpift_wrapper"])
  ])
])

# _MPIFT_MPI_FAMILY: which MPI mpi.h is (MPIFT_MPI_FAMILY) and its
# MPI_Get_library_version() first line (mpift_mpi_library, for the summary
# and for the Python check).
AC_DEFUN([_MPIFT_MPI_FAMILY], [
  AC_MSG_CHECKING([which MPI this is])
  mpift_save_CFLAGS=$CFLAGS; mpift_save_LIBS=$LIBS
  CFLAGS="$CFLAGS $MPI_CFLAGS"; LIBS="$MPI_LIBS $LIBS"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]], [[
#ifndef OPEN_MPI
#error not Open MPI
#endif
]])], [MPIFT_MPI_FAMILY=openmpi],
    [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]], [[
#ifndef MPICH_VERSION
#error not MPICH
#endif
]])], [MPIFT_MPI_FAMILY=mpich], [MPIFT_MPI_FAMILY=other])])
  AC_RUN_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>
#include <stdio.h>]], [[
char v[MPI_MAX_LIBRARY_VERSION_STRING];
int n = 0;
FILE *f = fopen("conftest.mpiv", "w");
if (!f || MPI_Get_library_version(v, &n) != MPI_SUCCESS)
    return 1;
fputs(v, f);
return fclose(f) != 0;
]])], [mpift_mpi_library=`sed -n '1{s/[[[:space:]]][[[:space:]]]*/ /g;p;}' conftest.mpiv`],
    [mpift_mpi_library=], [mpift_mpi_library=])
  rm -f conftest.mpiv
  CFLAGS=$mpift_save_CFLAGS; LIBS=$mpift_save_LIBS
  AC_MSG_RESULT([$MPIFT_MPI_FAMILY${mpift_mpi_library:+ ($mpift_mpi_library)}])
])

# _MPIFT_MPI_STATUSES_IGNORE: MPICH's MPI_STATUSES_IGNORE is (MPI_Status *)1,
# and its prototypes declare arrays, so GCC 12 warns that MPI_Waitall(n,
# req, MPI_STATUSES_IGNORE) reads 20 bytes "in a region of size 0" (a
# false positive: MPI never touches it).  Where mpi.h does that, MPI_CFLAGS
# gets -Wno-stringop-overflow, for the code that includes mpi.h only.
AC_DEFUN([_MPIFT_MPI_STATUSES_IGNORE], [
  AC_MSG_CHECKING([whether mpi.h makes GCC warn about MPI_STATUSES_IGNORE])
  mpift_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $MPI_CFLAGS -O2 -Werror=stringop-overflow"
  AC_COMPILE_IFELSE([AC_LANG_SOURCE([[#include <mpi.h>
int f(MPI_Request *r, int n);
int f(MPI_Request *r, int n) { return MPI_Waitall(n, r, MPI_STATUSES_IGNORE); }]])],
    [AC_MSG_RESULT([no])],
    [CFLAGS="$CFLAGS -Wno-stringop-overflow"
     AC_COMPILE_IFELSE([AC_LANG_SOURCE([[#include <mpi.h>
int f(MPI_Request *r, int n);
int f(MPI_Request *r, int n) { return MPI_Waitall(n, r, MPI_STATUSES_IGNORE); }]])],
       [MPI_CFLAGS="$MPI_CFLAGS -Wno-stringop-overflow"; AC_MSG_RESULT([yes, MPI_CFLAGS gets -Wno-stringop-overflow])],
       [AC_MSG_RESULT([it does not compile at all])])])
  CFLAGS=$mpift_save_CFLAGS
])
