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
  # The run-time dispatch to AVX2/AVX-512 (src/module/util/hash.h): its
  # header and the functions in the library, x86 only.
  mpift_xxh_dispatch=0
  mpift_save_CPPFLAGS=$CPPFLAGS mpift_save_LIBS=$LIBS
  CPPFLAGS="$CPPFLAGS $XXHASH_CFLAGS" LIBS="$XXHASH_LIBS $LIBS"
  AC_MSG_CHECKING([for XXH3_64bits_update_dispatch (xxh_x86dispatch.h)])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <xxhash.h>
#include <xxh_x86dispatch.h>]],
      [[XXH3_state_t *s = XXH3_createState(); return XXH3_64bits_update_dispatch(s, "", 0) != XXH_OK;]])],
    [mpift_xxh_dispatch=1
     AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no (XXH3 at the baseline vector width)])])
  CPPFLAGS=$mpift_save_CPPFLAGS LIBS=$mpift_save_LIBS
  AC_DEFINE_UNQUOTED([MPIFT_HAVE_XXH_DISPATCH], [$mpift_xxh_dispatch],
    [Define to 1 if libxxhash has the XXH3 _dispatch functions (xxh_x86dispatch.h).])
])
