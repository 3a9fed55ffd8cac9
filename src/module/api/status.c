/* status.c - mpift_strerror, mpift_status_name and mpift_status_exit: the
 * text, name and exit status of each status code, from the one list in
 * mpift.h (MPIFT_STATUS_MAP). */
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

const char *mpift_status_name(int status)
{
    switch (status) {
#define MPIFT_STATUS_NAME_(name, value, text, exit) case value: return "MPIFT_" #name;
    MPIFT_STATUS_MAP(MPIFT_STATUS_NAME_)
#undef MPIFT_STATUS_NAME_
    default: return NULL;
    }
}

int mpift_status_exit(int status)
{
    return mpift_exit_status(status);
}

/* mpift.h promises bindings codes 0, -1, -2, ... with no gap: each code's
 * value is minus its place in the list. */
enum status_place {
#define MPIFT_STATUS_PLACE_(name, value, text, exit) STATUS_PLACE_##name,
    MPIFT_STATUS_MAP(MPIFT_STATUS_PLACE_)
#undef MPIFT_STATUS_PLACE_
};
#define MPIFT_STATUS_GAPLESS_(name, value, text, exit) \
    _Static_assert(value == -(int)STATUS_PLACE_##name, "MPIFT_" #name ": status codes must be 0, -1, -2, ...");
MPIFT_STATUS_MAP(MPIFT_STATUS_GAPLESS_)
#undef MPIFT_STATUS_GAPLESS_
