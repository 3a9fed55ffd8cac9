# MPIFT_CHECK_COMPRESS: liblz4 and libzstd for transfer.compress, each
# optional (COMPRESS_CFLAGS, COMPRESS_LIBS; HAVE_LZ4, HAVE_ZSTD).  A build
# without one still builds: the configuration refuses that value and names
# the package to install (config/validate.c).
AC_DEFUN([MPIFT_CHECK_COMPRESS], [
  PKG_CHECK_MODULES([LZ4], [liblz4 >= 1.8], [mpift_have_lz4=yes
    AC_DEFINE([HAVE_LZ4], [1], [liblz4 is there: transfer.compress = "lz4"])],
    [mpift_have_lz4="no (apt-get install liblz4-dev)"])
  PKG_CHECK_MODULES([ZSTD], [libzstd >= 1.4], [mpift_have_zstd=yes
    AC_DEFINE([HAVE_ZSTD], [1], [libzstd is there: transfer.compress = "zstd"])],
    [mpift_have_zstd="no (apt-get install libzstd-dev)"])
  COMPRESS_CFLAGS="$LZ4_CFLAGS $ZSTD_CFLAGS"
  COMPRESS_LIBS="$LZ4_LIBS $ZSTD_LIBS"
  AC_SUBST([COMPRESS_CFLAGS])
  AC_SUBST([COMPRESS_LIBS])
])
