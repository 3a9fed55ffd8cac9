# MPIFT_CHECK_LIBCONFIG: libconfig (LIBCONFIG_CFLAGS, LIBCONFIG_LIBS).
AC_DEFUN([MPIFT_CHECK_LIBCONFIG], [
  AC_ARG_WITH([libconfig],
    [AS_HELP_STRING([--with-libconfig=DIR], [libconfig installation prefix (default: pkg-config libconfig)])],
    [], [with_libconfig=check])
  AS_IF([test "x$with_libconfig" != xcheck && test "x$with_libconfig" != xyes], [
    LIBCONFIG_CFLAGS="-I$with_libconfig/include"
    LIBCONFIG_LIBS="-L$with_libconfig/lib -lconfig"
  ], [
    PKG_CHECK_MODULES([LIBCONFIG], [libconfig >= 1.5], [], [
      AC_MSG_ERROR([libconfig (>= 1.5) development files not found.
    On Debian/Ubuntu: apt-get install libconfig-dev
    Or point at an install: ./configure --with-libconfig=DIR])
    ])
  ])
  AC_SUBST([LIBCONFIG_CFLAGS])
  AC_SUBST([LIBCONFIG_LIBS])
])
