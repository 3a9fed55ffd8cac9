/*
 * faults.h - fault injection for the test suite (MPIFT_TEST_CORRUPT,
 * _KILL, _ENOSPC, _BAD_HEADER, _SILENT, _SERVE_GATHER, _PROGRESS_EVERY,
 * _CONFIG_FAIL, _PAUSE, _PAUSE_AFTER_PLAN, _PAUSE_AFTER_SHARED,
 * _PAUSE_FILE, _CPU, _SPIN, _NOMEM_RESULT, _BAD_CANDS, _FILL_HOLE,
 * _NO_SEEK_DATA, _SAME_TICK, _COLLIDE, _WRONG_KEY, _UNTRUSTED_FS,
 * _PAUSE_BEFORE_PUT_LINK, _PAUSE_BEFORE_PUT_COPY, _PAUSE_IN_HASH,
 * _ZIP_LINK, _SLOW_READ, _KEPT_LIE, _TMP_GAP; see
 * docs/testing.md).
 *
 * Compiled in only where MPIFT_FAULT_INJECTION is defined: the test
 * builds of the engine that make check builds and never installs
 * (tests/mpift_faults.so, tests/libmpift_faults.la).  In the installed
 * module and library mpift_fault_env() is a constant NULL, so those
 * variables mean nothing there and the code behind them is dropped.
 */
#ifndef MPIFT_FAULTS_H
#define MPIFT_FAULTS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef MPIFT_FAULT_INJECTION
static inline const char *mpift_fault_env(const char *name) { return getenv(name); }
#else
static inline const char *mpift_fault_env(const char *name) { (void)name; return NULL; }
#endif

/* A "RANK:COUNT" switch: COUNT when it is set for `rank`, else -1. */
static inline long long mpift_fault_budget(const char *name, int rank)
{
    const char *env = mpift_fault_env(name);
    long long n;
    int who;

    if (!env || sscanf(env, "%d:%lld", &who, &n) != 2 || who != rank || n < 0)
        return -1;
    return n;
}

/* MPIFT_TEST_SLOW_READ=MS: sleep MS milliseconds, called once per MiB
 * (or chunk) that a long hash before the first collective reads (a cache
 * entry without its record, a resume or delta base): a slow disk, so a
 * test sees that those reads keep the heartbeats going. */
static inline void mpift_fault_slow_read(void)
{
    const char *env = mpift_fault_env("MPIFT_TEST_SLOW_READ");
    long ms = env ? atol(env) : 0;
    struct timespec t;

    if (ms <= 0)
        return;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Stop for up to `seconds`; with MPIFT_TEST_PAUSE_FILE=PATH set, create
 * PATH now and end as soon as it is removed (SECONDS is then a bound):
 * the test waits for PATH, changes what it wants, removes PATH.  Every
 * MPIFT_TEST_PAUSE_* hook stops here. */
static inline void mpift_fault_pause(double seconds)
{
    const char *path = mpift_fault_env("MPIFT_TEST_PAUSE_FILE");
    struct timespec tick = { 0, 20 * 1000 * 1000 };
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;

    if (fd >= 0)
        close(fd);
    for (; seconds > 0; seconds -= 0.02) {
        if (fd >= 0 && access(path, F_OK) != 0)
            break;
        nanosleep(&tick, NULL);
    }
}

#endif
