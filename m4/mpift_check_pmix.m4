# MPIFT_CHECK_PMIX: PMIx client library (PMIX_CFLAGS, PMIX_LIBS) via pmix.pc.
AC_DEFUN([MPIFT_CHECK_PMIX], [
  AC_ARG_WITH([pmix],
    [AS_HELP_STRING([--with-pmix=DIR], [PMIx installation prefix (default: pkg-config pmix)])],
    [], [with_pmix=check])
  AS_IF([test "x$with_pmix" != xcheck && test "x$with_pmix" != xyes], [
    PMIX_CFLAGS="-I$with_pmix/include"
    PMIX_LIBS="-L$with_pmix/lib -Wl,-rpath -Wl,$with_pmix/lib -lpmix"
  ], [
    PKG_CHECK_MODULES([PMIX], [pmix >= 3.0], [], [
      AC_MSG_ERROR([PMIx development files (pmix.pc) not found.
    On Debian/Ubuntu: apt-get install libpmix-dev
    Or point at an install: ./configure --with-pmix=DIR])
    ])
  ])
  mpift_save_CFLAGS=$CFLAGS; mpift_save_LIBS=$LIBS
  CFLAGS="$CFLAGS $PMIX_CFLAGS"; LIBS="$PMIX_LIBS $LIBS"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pmix.h>]],
      [[pmix_proc_t p; return PMIx_Init(&p, NULL, 0);]])], [],
    [AC_MSG_ERROR([cannot link a PMIx client with PMIX_CFLAGS=$PMIX_CFLAGS PMIX_LIBS=$PMIX_LIBS.
    On Debian/Ubuntu: apt-get install libpmix-dev])])
  CFLAGS=$mpift_save_CFLAGS; LIBS=$mpift_save_LIBS
  AC_SUBST([PMIX_CFLAGS])
  AC_SUBST([PMIX_LIBS])
])
