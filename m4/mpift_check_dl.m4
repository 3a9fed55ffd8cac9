# MPIFT_CHECK_DL: dlopen for the launcher's module loader (DL_LIBS).
AC_DEFUN([MPIFT_CHECK_DL], [
  mpift_save_LIBS=$LIBS
  AC_SEARCH_LIBS([dlopen], [dl], [], [AC_MSG_ERROR([dlopen not found; the launcher needs it to load its module])])
  AS_IF([test "x$ac_cv_search_dlopen" != "xnone required"], [DL_LIBS=$ac_cv_search_dlopen])
  LIBS=$mpift_save_LIBS
  AC_SUBST([DL_LIBS])
])
