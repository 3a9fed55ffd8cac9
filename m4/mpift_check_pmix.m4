# MPIFT_CHECK_PMIX: the PMIx client library (PMIX_CFLAGS, PMIX_LIBS,
# HAVE_PMIX), which tells job/topo.c each rank's node, local rank, job id
# and the step's temp folder.  Optional: without it (--without-pmix, or not
# found) the ranks of a node are found with MPI_Comm_split_type, as under
# MPICH's Hydra, where no PMIx server answers anyway.
#
#   --with-pmix        required: pkg-config pmix, else configure fails
#   --with-pmix=DIR    required, from DIR/include and DIR/lib
#   --without-pmix     not built in
#   (neither)          used if pkg-config finds it
#
# Sets mpift_have_pmix and mpift_pmix_why for the summary.
AC_DEFUN([MPIFT_CHECK_PMIX], [
  AC_ARG_WITH([pmix],
    [AS_HELP_STRING([--with-pmix@<:@=DIR@:>@],
      [take the job's topology from PMIx (DIR: its installation prefix); default: if pkg-config finds pmix,
       else from MPI (MPI_Comm_split_type)])],
    [], [with_pmix=check])
  mpift_have_pmix=no
  AS_CASE([$with_pmix],
    [no], [mpift_pmix_why="--without-pmix: topology from MPI_Comm_split_type"],
    [yes|check], [
      PKG_CHECK_MODULES([PMIX], [pmix >= 3.0], [mpift_have_pmix=yes mpift_pmix_why="pkg-config pmix"],
        [mpift_pmix_why="pmix.pc not found (apt-get install libpmix-dev): topology from MPI_Comm_split_type"
         AS_IF([test "x$with_pmix" = xyes],
           [AC_MSG_ERROR([--with-pmix: PMIx development files (pmix.pc, >= 3.0) not found.
    On Debian/Ubuntu: apt-get install libpmix-dev
    Or point at an install: ./configure --with-pmix=DIR (or --without-pmix)])])])],
    [PMIX_CFLAGS="-I$with_pmix/include"
     PMIX_LIBS="-L$with_pmix/lib -Wl,-rpath -Wl,$with_pmix/lib -lpmix"
     mpift_have_pmix=yes mpift_pmix_why="--with-pmix=$with_pmix"])
  AS_IF([test "x$mpift_have_pmix" = xyes], [
    mpift_save_CFLAGS=$CFLAGS; mpift_save_LIBS=$LIBS
    CFLAGS="$CFLAGS $PMIX_CFLAGS"; LIBS="$PMIX_LIBS $LIBS"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pmix.h>]],
        [[pmix_proc_t p; return PMIx_Init(&p, NULL, 0);]])], [],
      [AC_MSG_ERROR([cannot link a PMIx client with PMIX_CFLAGS=$PMIX_CFLAGS PMIX_LIBS=$PMIX_LIBS.
    On Debian/Ubuntu: apt-get install libpmix-dev (or ./configure --without-pmix)])])
    CFLAGS=$mpift_save_CFLAGS; LIBS=$mpift_save_LIBS
    AC_DEFINE([HAVE_PMIX], [1], [PMIx is built in: job/topo.c asks it for the topology])
  ], [PMIX_CFLAGS= PMIX_LIBS=])
  AC_SUBST([PMIX_CFLAGS])
  AC_SUBST([PMIX_LIBS])
])
