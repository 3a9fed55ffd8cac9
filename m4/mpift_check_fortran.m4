# MPIFT_CHECK_FORTRAN: the Fortran module (src/fortran/mpift.f90, built
# into libmpift_fortran with mpift.mod) and its example need the MPI
# Fortran compiler of this build's MPI: mpifort.openmpi / mpifort for Open
# MPI, mpifort.mpich / mpif90.mpich for MPICH (FC=COMPILER picks another).
# --without-fortran skips them.
#
# Three steps at the top level of configure.ac, because AC_PROG_FC must
# be expanded there, before LT_INIT (libtool configures a Fortran tag only
# for a compiler known by then), and only run when there is a compiler:
#
#   MPIFT_FIND_FORTRAN                          FC, or FC=no
#   AS_IF([test "x$FC" != xno], [AC_PROG_FC])
#   MPIFT_CHECK_FORTRAN                         MPIFT_FORTRAN, mpift_fortran_why,
#                                               the conditional MPIFT_FORTRAN
AC_DEFUN([MPIFT_FIND_FORTRAN], [
  AC_ARG_WITH([fortran],
    [AS_HELP_STRING([--without-fortran],
      [do not build the Fortran module (default: built when this MPI's Fortran compiler is found;
       FC=COMPILER picks it)])],
    [], [with_fortran=check])
  mpift_fortran_why=
  AS_IF([test "x$with_fortran" = xno], [FC=no; mpift_fortran_why="--without-fortran"],
    [test -z "$FC"], [
      AS_CASE([$MPIFT_MPI_FAMILY],
        [mpich], [AC_PATH_PROGS([FC], [mpifort.mpich mpif90.mpich], [no])],
        [openmpi], [AC_PATH_PROGS([FC], [mpifort.openmpi mpif90.openmpi mpifort mpif90], [no])],
        [AC_PATH_PROGS([FC], [mpifort mpif90], [no])])
      AS_IF([test "x$FC" = xno], [mpift_fortran_why="no MPI Fortran compiler for $MPIFT_MPI_FAMILY (mpifort; FC=COMPILER)"])
    ])
])

AC_DEFUN([MPIFT_CHECK_FORTRAN], [
  MPIFT_FORTRAN=no
  AS_IF([test "x$FC" != xno && test -n "$FC"], [
    AC_LANG_PUSH([Fortran])
    AC_MSG_CHECKING([whether $FC builds an MPI program with iso_c_binding])
    AC_LINK_IFELSE([AC_LANG_SOURCE([[
      program t
      use mpi
      use, intrinsic :: iso_c_binding
      integer :: ierr
      type(c_ptr) :: p
      p = c_null_ptr
      call MPI_Init(ierr)
      call MPI_Finalize(ierr)
      end program t]])],
      [MPIFT_FORTRAN=yes; mpift_fortran_why=$FC],
      [mpift_fortran_why="$FC cannot build an MPI program with iso_c_binding"])
    AC_MSG_RESULT([$MPIFT_FORTRAN])
    AC_LANG_POP([Fortran])
  ])
  AS_IF([test "x$with_fortran" = xyes && test "x$MPIFT_FORTRAN" != xyes],
    [AC_MSG_ERROR([--with-fortran: $mpift_fortran_why])])
  AM_CONDITIONAL([MPIFT_FORTRAN], [test "x$MPIFT_FORTRAN" = xyes])
  AC_SUBST([MPIFT_FORTRAN])
])
