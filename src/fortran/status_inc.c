/*
 * status_inc.c - a build-time program that writes mpift_status.inc, the
 * Fortran module's status constants, from MPIFT_STATUS_MAP (mpift.h):
 * mpift.f90 includes it, so a code added in C is a Fortran constant with
 * nothing to copy.
 */
#include <stdio.h>

#include <mpift/mpift.h>

int main(void)
{
    puts("! mpift_status.inc - written by src/fortran/status_inc.c from MPIFT_STATUS_MAP\n"
         "! (include/mpift/mpift.h) when libmpift_fortran is built: do not edit.");
#define MPIFT_STATUS_FORTRAN_(name, value, text, exit) \
    printf("integer, parameter, public :: MPIFT_%s = %d\n", #name, value);
    MPIFT_STATUS_MAP(MPIFT_STATUS_FORTRAN_)
#undef MPIFT_STATUS_FORTRAN_
    return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
