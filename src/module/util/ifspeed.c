/*
 * ifspeed.c - the speed of the TCP interfaces Open MPI would use (see
 * ifspeed.h).
 */
#include "mpift_autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ifspeed.h"

/* Open MPI's own btl_tcp_if_exclude: loopback's addresses, and PPP. */
#define OMPI_IF_EXCLUDE "127.0.0.1/8,sppp"

/* Does one list entry (len bytes at tok) name this interface or hold
 * this IPv4 address?  "NAME", or "A.B.C.D/N". */
static int entry_matches(const char *tok, size_t len, const char *name, const struct sockaddr_in *sin)
{
    char buf[64], *slash, *end;
    struct in_addr net;
    unsigned long bits;
    uint32_t mask;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, tok, len);
    buf[len] = '\0';
    if (!(slash = strchr(buf, '/')))
        return strcmp(buf, name) == 0;
    *slash = '\0';
    errno = 0;
    bits = strtoul(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || bits > 32 || inet_pton(AF_INET, buf, &net) != 1)
        return 0;
    mask = bits == 0 ? 0 : htonl(~(uint32_t)0 << (32 - bits));
    return (sin->sin_addr.s_addr & mask) == (net.s_addr & mask);
}

/* Does the comma-separated list name this interface or hold its address? */
static int list_matches(const char *list, const char *name, const struct sockaddr_in *sin)
{
    const char *p = list, *comma;

    while (*p) {
        comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        while (p < comma && *p == ' ')
            p++;
        if (entry_matches(p, (size_t)(comma - p), name, sin))
            return 1;
        p = *comma ? comma + 1 : comma;
    }
    return 0;
}

/* Would Open MPI's TCP transport use this address of this interface? */
static int used(const struct ifaddrs *a, const char *include, const char *exclude)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)a->ifa_addr;

    if (!a->ifa_name || !sin || sin->sin_family != AF_INET || !(a->ifa_flags & IFF_UP))
        return 0;
    if (include && *include)
        return list_matches(include, a->ifa_name, sin);
    return !list_matches(exclude && *exclude ? exclude : OMPI_IF_EXCLUDE, a->ifa_name, sin);
}

/* The link speed sysfs gives for the interface, in Mbit/s; -1: none. */
static long link_speed(const char *sysroot, const char *name)
{
    char path[PATH_MAX], line[32], *end;
    FILE *f;
    long v = -1;

    if (strchr(name, '/') || snprintf(path, sizeof(path), "%s/class/net/%s/speed", sysroot, name) >= (int)sizeof(path))
        return -1;
    if (!(f = fopen(path, "r")))
        return -1;
    if (fgets(line, sizeof(line), f)) {
        errno = 0;
        v = strtol(line, &end, 10);
        /* "unknown" printed as an unsigned -1 (4294967295) by some
         * drivers: no link is faster than MPIFT_IF_MAX_MBIT */
        if (errno || end == line || (*end && *end != '\n') || v <= 0 || v > MPIFT_IF_MAX_MBIT)
            v = -1;
    }
    fclose(f);
    return v;
}

/* Was this interface seen already, among the used entries before a? */
static int seen_before(const struct ifaddrs *ifs, const struct ifaddrs *a, const char *include, const char *exclude)
{
    for (; ifs && ifs != a; ifs = ifs->ifa_next)
        if (used(ifs, include, exclude) && strcmp(ifs->ifa_name, a->ifa_name) == 0)
            return 1;
    return 0;
}

/* One interface appended to why at `at` (mbit 0: loopback, < 0:
 * unknown); the new end, or whylen when it did not fit. */
static size_t say_if(char *why, size_t whylen, size_t at, const char *sep, const char *name, long mbit)
{
    int w;

    if (mbit == 0)
        w = snprintf(why + at, whylen - at, "%s%s loopback", sep, name);
    else if (mbit < 0)
        w = snprintf(why + at, whylen - at, "%s%s of unknown speed", sep, name);
    else
        w = snprintf(why + at, whylen - at, "%s%s at %ld Mbit/s", sep, name, mbit);
    return w >= 0 && (size_t)w < whylen - at ? at + (size_t)w : whylen;
}

int mpift_if_fast(const char *sysroot, const char *include, const char *exclude, const struct ifaddrs *ifs,
                  char *why, size_t whylen)
{
    const struct ifaddrs *a;
    size_t at = 0;
    int fast = 1, n = 0;
    long mbit;

    if (whylen)
        why[0] = '\0';
    for (a = ifs; a; a = a->ifa_next) {
        if (!used(a, include, exclude) || seen_before(ifs, a, include, exclude))
            continue;
        n++;
        mbit = a->ifa_flags & IFF_LOOPBACK ? 0 : link_speed(sysroot, a->ifa_name);
        if (mbit < 0 || (mbit > 0 && mbit < MPIFT_IF_FAST_MBIT))
            fast = 0;
        if (at + 1 < whylen)   /* a list cut short stays cut */
            at = say_if(why, whylen, at, n > 1 ? ", " : "", a->ifa_name, mbit);
    }
    if (n == 0) {
        snprintf(why, whylen, "no interface Open MPI's TCP transport would use is up with an IPv4 address");
        return 0;
    }
    return fast;
}
