# MPIFT_CHECK_CHECK: the check unit-test framework (CHECK_CFLAGS, CHECK_LIBS)
# for make check only.  Optional: the build and install never link it, so a
# packager need not make a test framework a build dependency.  Without it
# make check stops at once with one line naming the package (Makefile.am,
# MPIFT_HAVE_CHECK); --without-check says so on purpose, --with-check
# requires it.  Sets mpift_check_why for the summary.
AC_DEFUN([MPIFT_CHECK_CHECK], [
  AC_ARG_WITH([check],
    [AS_HELP_STRING([--without-check],
      [do not look for the check unit-test framework (make check needs it; default: used if found)])],
    [], [with_check=check])
  mpift_have_check=no
  AS_IF([test "x$with_check" = xno], [mpift_check_why="no (--without-check: make check will not run)"], [
    PKG_CHECK_MODULES([CHECK], [check >= 0.11],
      [mpift_have_check=yes mpift_check_why="yes (make check runs the unit tests)"],
      [mpift_check_why="no (make check needs it: apt-get install check, or libcheck >= 0.11)"
       AS_IF([test "x$with_check" = xyes],
         [AC_MSG_ERROR([--with-check: check (unit test framework, >= 0.11) not found.
    On Debian/Ubuntu: apt-get install check])])])
  ])
  AM_CONDITIONAL([MPIFT_HAVE_CHECK], [test "x$mpift_have_check" = xyes])
])
