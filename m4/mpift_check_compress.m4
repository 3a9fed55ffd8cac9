# MPIFT_CHECK_COMPRESS: liblz4 and libzstd for transfer.compress
# (COMPRESS_CFLAGS, COMPRESS_LIBS; HAVE_LZ4, HAVE_ZSTD).  Each has its own
# switch, so a build does not change with whatever the host has installed:
#
#   --with-lz4 / --with-zstd         required: configure fails without it
#   --without-lz4 / --without-zstd   not built in, even when installed
#   (neither)                        used if pkg-config finds it
#
# A build without one still builds: the configuration refuses that value
# and names the package to install (config/validate.c).  Sets
# mpift_have_lz4 and mpift_have_zstd ("yes" or "no (why)") for the summary.
AC_DEFUN([MPIFT_CHECK_COMPRESS], [
  _MPIFT_CHECK_CODEC([lz4], [LZ4], [liblz4 >= 1.8], [liblz4-dev])
  _MPIFT_CHECK_CODEC([zstd], [ZSTD], [libzstd >= 1.4], [libzstd-dev])
  COMPRESS_CFLAGS="$LZ4_CFLAGS $ZSTD_CFLAGS"
  COMPRESS_LIBS="$LZ4_LIBS $ZSTD_LIBS"
  AC_SUBST([COMPRESS_CFLAGS])
  AC_SUBST([COMPRESS_LIBS])
])

# _MPIFT_CHECK_CODEC(NAME, VAR, PKG-CONFIG MODULE, DEBIAN PACKAGE)
AC_DEFUN([_MPIFT_CHECK_CODEC], [
  AC_ARG_WITH([$1],
    [AS_HELP_STRING([--with-$1], [build in $1 for transfer.compress (default: if pkg-config finds $3)])],
    [], [with_$1=check])
  mpift_have_$1=no
  AS_CASE([$with_$1],
    [no], [mpift_have_$1="no (--without-$1)"],
    [yes|check], [
      PKG_CHECK_MODULES([$2], [$3], [mpift_have_$1=yes
        AC_DEFINE([HAVE_$2], [1], [$1 is built in: transfer.compress = "$1"])],
        [mpift_have_$1="no ($3 not found: apt-get install $4)"
         AS_IF([test "x$with_$1" = xyes],
           [AC_MSG_ERROR([--with-$1: $3 development files not found.
    On Debian/Ubuntu: apt-get install $4 (or set PKG_CONFIG_PATH to the folder of its .pc file)])])])],
    [AC_MSG_ERROR([--with-$1=$with_$1: say --with-$1 or --without-$1 (PKG_CONFIG_PATH points at an install)])])
])
