# MPIFT_CHECK_XXHASH: libxxhash for XXH3 checksums (XXHASH_CFLAGS, XXHASH_LIBS).
AC_DEFUN([MPIFT_CHECK_XXHASH], [
  AC_ARG_WITH([xxhash],
    [AS_HELP_STRING([--with-xxhash=DIR], [xxHash installation prefix (default: pkg-config libxxhash)])],
    [], [with_xxhash=check])
  AS_IF([test "x$with_xxhash" != xcheck && test "x$with_xxhash" != xyes], [
    XXHASH_CFLAGS="-I$with_xxhash/include"
    XXHASH_LIBS="-L$with_xxhash/lib -lxxhash"
  ], [
    PKG_CHECK_MODULES([XXHASH], [libxxhash >= 0.8], [], [
      AC_MSG_ERROR([xxHash (>= 0.8, for XXH3) development files not found.
    On Debian/Ubuntu: apt-get install libxxhash-dev
    Or point at an install: ./configure --with-xxhash=DIR])
    ])
  ])
  AC_SUBST([XXHASH_CFLAGS])
  AC_SUBST([XXHASH_LIBS])
])
