/* error.c - names of mpift status codes. */
#include "mpift/mpift.h"

const char *mpift_strerror(int status)
{
    switch (status) {
    case MPIFT_OK: return "success";
    case MPIFT_ERR_USAGE: return "usage error";
    case MPIFT_ERR_CONFIG: return "configuration error";
    case MPIFT_ERR_NOMEM: return "out of memory";
    case MPIFT_ERR_IO: return "input/output error";
    case MPIFT_ERR_FILES: return "one or more files failed";
    case MPIFT_ERR_ENV: return "environment error (MPI, PMIx or module)";
    case MPIFT_ERR_MPI: return "MPI error";
    case MPIFT_ERR_PROTO: return "malformed protocol message";
    case MPIFT_ERR_CHECKSUM: return "checksum mismatch";
    case MPIFT_ERR_ESCAPE: return "path leaves its root";
    case MPIFT_ERR_NOENT: return "no such file";
    case MPIFT_ERR_ABI: return "module ABI mismatch";
    case MPIFT_ERR_RANGE: return "value out of range";
    case MPIFT_ERR_UNSUPPORTED: return "not supported";
    default: return "unknown error";
    }
}
