# MPIFT_CHECK_LIBARCHIVE: libarchive for archives unpacked on arrival
# (an entry's extract = true, mpift-stage --extract): LIBARCHIVE_CFLAGS,
# LIBARCHIVE_LIBS, HAVE_LIBARCHIVE.  The switch of the codecs' macros:
#
#   --with-libarchive      required: configure fails without it
#   --without-libarchive   not built in, even when installed
#   (neither)              used if pkg-config finds it
#
# A build without it still builds: the configuration refuses extract =
# true and names the package to install (config/extract.c).  Sets
# mpift_have_libarchive ("yes" or "no (why)") for the summary.
AC_DEFUN([MPIFT_CHECK_LIBARCHIVE], [
  AC_ARG_WITH([libarchive],
    [AS_HELP_STRING([--with-libarchive], [build in libarchive for extract = true (default: if pkg-config finds libarchive >= 3.3)])],
    [], [with_libarchive=check])
  mpift_have_libarchive=no
  AS_CASE([$with_libarchive],
    [no], [mpift_have_libarchive="no (--without-libarchive)"],
    [yes|check], [
      PKG_CHECK_MODULES([LIBARCHIVE], [libarchive >= 3.3], [mpift_have_libarchive=yes
        AC_DEFINE([HAVE_LIBARCHIVE], [1], [libarchive is built in: extract = true])],
        [mpift_have_libarchive="no (libarchive >= 3.3 not found: apt-get install libarchive-dev)"
         AS_IF([test "x$with_libarchive" = xyes],
           [AC_MSG_ERROR([--with-libarchive: libarchive (>= 3.3) development files not found.
    On Debian/Ubuntu: apt-get install libarchive-dev (or set PKG_CONFIG_PATH to the folder of its .pc file)])])])],
    [AC_MSG_ERROR([--with-libarchive=$with_libarchive: say --with-libarchive or --without-libarchive (PKG_CONFIG_PATH points at an install)])])
  AC_SUBST([LIBARCHIVE_CFLAGS])
  AC_SUBST([LIBARCHIVE_LIBS])
])
