/*
 * ifspeed.h - are the TCP interfaces Open MPI's btl_tcp would use fast
 * enough that a node's CPU, not the link, sets the pace?  What
 * mpift-stage decides its TCP eager limit by, before MPI_Init, when it
 * can neither ask MPI nor another rank (api/hook.c, docs/fabric.md).
 *
 * The interfaces are those getifaddrs lists up with an IPv4 address (as
 * Open MPI's TCP transport takes them), each address matched against
 * btl_tcp_if_include, or else btl_tcp_if_exclude (Open MPI's default:
 * "127.0.0.1/8,sppp"): comma-separated interface names and IPv4 networks
 * in CIDR notation.  Loopback counts as memory speed; any other interface
 * by what the kernel says in SYSROOT/class/net/IF/speed (Mbit/s: a veth
 * says 10000 whatever tc shapes it to, a virtual device without a speed
 * says nothing or -1).  No MPI; the sysfs root is a parameter so the
 * unit test can give a made-up one.
 */
#ifndef MPIFT_IFSPEED_H
#define MPIFT_IFSPEED_H

#include <stddef.h>

struct ifaddrs;

/* The slowest interface, in Mbit/s, that counts as a fabric.  At 25
 * Gbit/s a 256 KiB chunk crosses in 84 us, less than a node spends on it
 * (receiving, hashing, writing: about 700 us of CPU here, docs/fabric.md),
 * so the copy out of Open MPI's eager buffer is no longer hidden behind
 * the link.  Above 10000: a veth says 10000 however tc shapes it, and so
 * do many virtual NICs, so 10000 tells nothing of the link. */
#define MPIFT_IF_FAST_MBIT 25000
/* Above this (1.6 Tbit/s) a sysfs speed is a driver's "unknown". */
#define MPIFT_IF_MAX_MBIT 1600000

/*
 * mpift_if_fast - 1 when Open MPI would use at least one interface and
 * every one it would use is loopback or at least MPIFT_IF_FAST_MBIT; 0
 * when one is slower, one's speed cannot be read, or none is used.  why
 * (whylen bytes) says which interfaces counted and at what speed.
 * include, exclude: the values of btl_tcp_if_include and _if_exclude as
 * set (NULL or "": not set).  ifs: getifaddrs's list (NULL: none).
 */
int mpift_if_fast(const char *sysroot, const char *include, const char *exclude, const struct ifaddrs *ifs,
                  char *why, size_t whylen);

#endif
