# MPIFT_CHECK_CHECK: the check unit-test framework (CHECK_CFLAGS, CHECK_LIBS).
# Required: make check is part of every build's contract.
AC_DEFUN([MPIFT_CHECK_CHECK], [
  PKG_CHECK_MODULES([CHECK], [check >= 0.11], [], [
    AC_MSG_ERROR([check (unit test framework, >= 0.11) not found.
    On Debian/Ubuntu: apt-get install check])
  ])
])
