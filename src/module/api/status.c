/* status.c - mpift_strerror: the text of each status code, from the one
 * list in mpift.h (MPIFT_STATUS_MAP). */
#include "mpift/mpift.h"

const char *mpift_strerror(int status)
{
    switch (status) {
#define MPIFT_STATUS_TEXT_(name, value, text, exit) case value: return text;
    MPIFT_STATUS_MAP(MPIFT_STATUS_TEXT_)
#undef MPIFT_STATUS_TEXT_
    default: return "unknown error";
    }
}
