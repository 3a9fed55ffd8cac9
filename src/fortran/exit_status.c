/*
 * exit_status.c - mpift_exit_status for the Fortran module: mpift.h has
 * it as a static inline (no symbol to bind to), so this part of
 * libmpift_fortran gives Fortran one, computed from the same table.
 */
#include <mpift/mpift.h>

int mpift_fortran_exit_status(int status);

int mpift_fortran_exit_status(int status)
{
    return mpift_exit_status(status);
}
