/* inject.c - the engine's fault injection for the test suite (see inject.h). */
#include "mpift_autoconf.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/faults.h"
#include "engine/inject.h"

/* Files left to damage on this rank; -1 until the variable is read. */
static int corrupt_left = -1;

int mpift_inject_corrupt_file(void)
{
    const char *env;

    if (corrupt_left < 0) {
        env = mpift_fault_env("MPIFT_TEST_CORRUPT");
        corrupt_left = env ? atoi(env) : 0;
        if (corrupt_left < 0)
            corrupt_left = 0;
    }
    if (corrupt_left == 0)
        return 0;
    corrupt_left--;
    return 1;
}

void mpift_inject_corrupt_frame(unsigned char *frame, int len)
{
    static long long left = -1;
    const char *env;

    if (left < 0) {
        env = mpift_fault_env("MPIFT_TEST_CORRUPT_COMPRESSED");
        left = env && atoll(env) > 0 ? atoll(env) : 0;
    }
    if (left == 0 || len < 2)
        return;
    left--;
    frame[1] ^= 0xff;           /* zstd's magic number, lz4's first token */
    frame[len - 1] ^= 0xff;
}

void mpift_inject_kill(int rank)
{
    static long long left = -2;

    if (left == -2)
        left = mpift_fault_budget("MPIFT_TEST_KILL", rank);
    if (left >= 0 && left-- == 0)
        raise(SIGKILL);
}

void mpift_inject_bad_header(struct mpift_xfer *x)
{
    static int who = -2;
    const char *env;

    if (who == -2) {
        env = mpift_fault_env("MPIFT_TEST_BAD_HEADER");
        who = env ? atoi(env) : -1;
    }
    if (who == x->rank)
        x->hdr[MPIFT_HDR_VERSION_AT] = 7;   /* a u16, little-endian: version 7 */
}

void mpift_inject_pause_chunk(int rank, uint64_t chunk)
{
    static int armed = -1;
    static long long at;
    static double secs;
    const char *env;
    int who;

    if (armed < 0) {
        env = mpift_fault_env("MPIFT_TEST_PAUSE");
        armed = env && sscanf(env, "%d:%lld:%lf", &who, &at, &secs) == 3 && who == rank && at >= 0;
    }
    if (armed && (long long)chunk == at) {
        armed = 0;
        mpift_fault_pause(secs);
    }
}

void mpift_inject_pause_after_plan(void)
{
    const char *env = mpift_fault_env("MPIFT_TEST_PAUSE_AFTER_PLAN");

    if (env)
        mpift_fault_pause(atof(env));
}

void mpift_inject_pause_after_shared(void)
{
    const char *env = mpift_fault_env("MPIFT_TEST_PAUSE_AFTER_SHARED");

    if (env)
        mpift_fault_pause(atof(env));
}

void mpift_inject_pause_before_place(int rank)
{
    long long secs = mpift_fault_budget("MPIFT_TEST_PAUSE_BEFORE_PLACE", rank);

    if (secs >= 0)
        mpift_fault_pause((double)secs);
}

void mpift_inject_fill_hole(int rank, int fd, const struct mpift_holes *h, uint64_t chunk)
{
    static long long at = -2;
    char path[64];
    int wfd;

    if (at == -2)
        at = mpift_fault_budget("MPIFT_TEST_FILL_HOLE", rank);
    if (at < 0 || h->n == 0 || (long long)chunk != at)
        return;
    at = -1;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    wfd = open(path, O_WRONLY | O_CLOEXEC);
    if (wfd < 0)
        return;
    if (pwrite(wfd, "written by a test", 16, (off_t)(h->e[0].off + h->e[0].len / 2)) != 16)
        perror("MPIFT_TEST_FILL_HOLE");
    close(wfd);
}

void mpift_inject_same_tick(int rank, int fd, struct stat *at_open)
{
    static int on = -1;
    const char *env;
    struct stat now;

    if (on < 0) {
        env = mpift_fault_env("MPIFT_TEST_SAME_TICK");
        on = env && atoi(env) == rank;
    }
    if (on && fstat(fd, &now) == 0) {
        at_open->st_mtim = now.st_mtim;
        at_open->st_ctim = now.st_ctim;
    }
}

int mpift_inject_collide(void)
{
    static int on = -1;

    if (on < 0)
        on = mpift_fault_env("MPIFT_TEST_COLLIDE") != NULL;
    return on;
}

int mpift_inject_no_seek_data(void)
{
    static int on = -1;

    if (on < 0)
        on = mpift_fault_env("MPIFT_TEST_NO_SEEK_DATA") != NULL;
    return on;
}

int mpift_inject_silent(int rank)
{
    static int who = -2;
    const char *env;

    if (who == -2) {
        env = mpift_fault_env("MPIFT_TEST_SILENT");
        who = env ? atoi(env) : -1;
    }
    return who == rank;
}
