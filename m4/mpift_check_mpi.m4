# MPIFT_CHECK_MPI: Open MPI's C bindings (MPI_CFLAGS, MPI_LIBS).
# Tries pkg-config (ompi-c, then mpi-c), then the mpicc wrapper's --showme.
AC_DEFUN([MPIFT_CHECK_MPI], [
  AC_ARG_WITH([mpi],
    [AS_HELP_STRING([--with-mpi=DIR], [MPI installation prefix (default: pkg-config, then mpicc)])],
    [], [with_mpi=check])
  mpift_mpi_found=no
  AS_IF([test "x$with_mpi" != xcheck && test "x$with_mpi" != xyes], [
    MPI_CFLAGS="-I$with_mpi/include"
    MPI_LIBS="-L$with_mpi/lib -lmpi"
    mpift_mpi_found=yes
  ], [
    PKG_CHECK_MODULES([MPI], [ompi-c], [mpift_mpi_found=yes], [
      PKG_CHECK_MODULES([MPI], [mpi-c], [mpift_mpi_found=yes], [
        AC_PATH_PROG([MPICC_WRAPPER], [mpicc], [])
        AS_IF([test -n "$MPICC_WRAPPER"], [
          MPI_CFLAGS=`$MPICC_WRAPPER --showme:compile 2>/dev/null`
          MPI_LIBS=`$MPICC_WRAPPER --showme:link 2>/dev/null`
          AS_IF([test -n "$MPI_LIBS"], [mpift_mpi_found=yes])
        ])
      ])
    ])
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
    AC_MSG_ERROR([Open MPI development files not found.
    On Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin
    Or point at an install: ./configure --with-mpi=DIR])
  ])
  AC_SUBST([MPI_CFLAGS])
  AC_SUBST([MPI_LIBS])
])
