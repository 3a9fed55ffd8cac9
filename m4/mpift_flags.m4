# MPIFT_WARNINGS: -Wall -Wextra on everything we compile (MPIFT_WARN_CFLAGS).
AC_DEFUN([MPIFT_WARNINGS], [
  MPIFT_WARN_CFLAGS="-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes"
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [AS_IF([test "x$enableval" = xyes], [MPIFT_WARN_CFLAGS="$MPIFT_WARN_CFLAGS -Werror"])])
  AC_SUBST([MPIFT_WARN_CFLAGS])
])

# MPIFT_ENABLE_SANITIZERS: --enable-sanitizers builds everything with
# AddressSanitizer and UndefinedBehaviorSanitizer (MPIFT_SAN_CFLAGS/LDFLAGS).
AC_DEFUN([MPIFT_ENABLE_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers], [build with ASan and UBSan (for testing)])],
    [], [enable_sanitizers=no])
  AS_IF([test "x$enable_sanitizers" = xyes], [
    MPIFT_SAN_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    MPIFT_SAN_LDFLAGS="-fsanitize=address,undefined"
  ])
  AM_CONDITIONAL([MPIFT_SANITIZERS], [test "x$enable_sanitizers" = xyes])
  AC_SUBST([MPIFT_SAN_CFLAGS])
  AC_SUBST([MPIFT_SAN_LDFLAGS])
])
