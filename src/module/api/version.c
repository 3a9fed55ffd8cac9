/*
 * version.c - mpift_version(): the version this library was built as, so
 * a program can tell at run time which libmpift (or mpift.so) it got; the
 * MPIFT_VERSION_* macros only say which headers it was compiled with.
 */
#include "mpift/mpift.h"

const char *mpift_version(void)
{
    return MPIFT_VERSION_STRING;
}
