/* test_ifspeed.c - util/ifspeed.h: which interfaces Open MPI's TCP
 * transport would use (btl_tcp_if_include, _if_exclude, its default),
 * and whether every one is loopback or a fabric, against a made-up sysfs
 * root and a made-up getifaddrs list. */
#include <check.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ifspeed.h"
#include "unit_main.h"

static char root[64];

/* root/class/net/NAME/speed holding text (NULL: no speed file). */
static void sys_if(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/class", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/class/net", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/class/net/%s", root, name);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    if (!text)
        return;
    snprintf(path, sizeof(path), "%s/class/net/%s/speed", root, name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(root, "/tmp/mpift-ifspeed.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    sys_if("lo", NULL);              /* the kernel gives loopback no speed */
    sys_if("eth0", "100000\n");      /* 100 Gbit/s Ethernet */
    sys_if("eth1", "10000\n");       /* a veth, shaped or not */
    sys_if("ib0", "-1\n");           /* a device that does not know */
    sys_if("down0", "100000\n");
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* A getifaddrs list: lo 127.0.0.1, eth0 10.1.0.5, eth1 198.18.0.3, ib0
 * 192.168.7.2 and eth0 again (a second address), down0 (down), and an
 * IPv6 entry for eth1 (not taken). */
static struct sockaddr_in sin4[7];
static struct sockaddr_in6 sin6;
static struct ifaddrs ifa[8];

static const struct ifaddrs *ifs(void)
{
    static const char *name[7] = { "lo", "eth0", "eth1", "ib0", "eth0", "down0", "eth1" };
    static const char *addr[6] = { "127.0.0.1", "10.1.0.5", "198.18.0.3", "192.168.7.2", "10.2.0.5", "10.3.0.1" };
    int i;

    memset(ifa, 0, sizeof(ifa));
    for (i = 0; i < 7; i++) {
        ifa[i].ifa_name = (char *)name[i];
        ifa[i].ifa_flags = IFF_UP | (i == 0 ? IFF_LOOPBACK : 0);
        ifa[i].ifa_next = i < 6 ? &ifa[i + 1] : NULL;
        if (i < 6) {
            sin4[i].sin_family = AF_INET;
            ck_assert_int_eq(inet_pton(AF_INET, addr[i], &sin4[i].sin_addr), 1);
            ifa[i].ifa_addr = (struct sockaddr *)&sin4[i];
        }
    }
    ifa[5].ifa_flags = 0;   /* down0 is down */
    sin6.sin6_family = AF_INET6;
    ifa[6].ifa_addr = (struct sockaddr *)&sin6;
    return ifa;
}

static int fast(const char *include, const char *exclude, char *why)
{
    return mpift_if_fast(root, include, exclude, ifs(), why, 256);
}

START_TEST(loopback_alone_is_fast)
{
    char why[256];

    /* the test suite's own setting: btl_tcp_if_include lo */
    ck_assert_int_eq(fast("lo", NULL, why), 1);
    ck_assert_str_eq(why, "lo loopback");
    /* by network, as 127.0.0.0/8 */
    ck_assert_int_eq(fast("127.0.0.0/8", NULL, why), 1);
}
END_TEST

START_TEST(fabric_is_fast_veth_is_not)
{
    char why[256];

    ck_assert_int_eq(fast("eth0", NULL, why), 1);
    ck_assert_str_eq(why, "eth0 at 100000 Mbit/s");
    /* the networked fake nodes': MPIFT_NET_IF=198.18.0.0/24, a veth */
    ck_assert_int_eq(fast("198.18.0.0/24", NULL, why), 0);
    ck_assert_str_eq(why, "eth1 at 10000 Mbit/s");
    /* one slow interface among fast ones is enough to raise the limit */
    ck_assert_int_eq(fast("lo,eth0,eth1", NULL, why), 0);
    ck_assert_str_eq(why, "lo loopback, eth0 at 100000 Mbit/s, eth1 at 10000 Mbit/s");
}
END_TEST

START_TEST(unknown_speed_is_not_fast)
{
    char why[256];

    ck_assert_int_eq(fast("ib0", NULL, why), 0);
    ck_assert_str_eq(why, "ib0 of unknown speed");
    ck_assert_int_eq(fast("192.168.7.0/24", NULL, why), 0);
    /* "unknown" as some drivers print it: an unsigned -1 */
    {
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/class/net/ib0/speed", root);
        ck_assert_ptr_nonnull(f = fopen(path, "w"));
        fputs("4294967295\n", f);
        fclose(f);
    }
    ck_assert_int_eq(fast("ib0", NULL, why), 0);
    ck_assert_str_eq(why, "ib0 of unknown speed");
    /* no speed file at all */
    ck_assert_int_eq(mpift_if_fast("/nonexistent", "eth0", NULL, ifs(), why, sizeof(why)), 0);
    ck_assert_str_eq(why, "eth0 of unknown speed");
}
END_TEST

START_TEST(default_exclude_is_open_mpis)
{
    char why[256];

    /* Open MPI's default leaves out 127.0.0.1/8: eth0 (twice: listed
     * once), eth1 and ib0, down0 being down */
    ck_assert_int_eq(fast(NULL, NULL, why), 0);
    ck_assert_str_eq(why, "eth0 at 100000 Mbit/s, eth1 at 10000 Mbit/s, ib0 of unknown speed");
    ck_assert_int_eq(fast("", "", why), 0);
    ck_assert_str_eq(why, "eth0 at 100000 Mbit/s, eth1 at 10000 Mbit/s, ib0 of unknown speed");
    /* an exclude list of one's own replaces the default: lo is in */
    ck_assert_int_eq(fast(NULL, "eth1,192.168.0.0/16", why), 1);
    ck_assert_str_eq(why, "lo loopback, eth0 at 100000 Mbit/s");
}
END_TEST

START_TEST(nothing_used_is_not_fast)
{
    char why[256];

    ck_assert_int_eq(fast("down0", NULL, why), 0);   /* down */
    ck_assert_str_eq(why, "no interface Open MPI's TCP transport would use is up with an IPv4 address");
    ck_assert_int_eq(fast("10.9.0.0/16,eth7", NULL, why), 0);
    ck_assert_int_eq(mpift_if_fast(root, NULL, NULL, NULL, why, sizeof(why)), 0);
    /* malformed networks match nothing */
    ck_assert_int_eq(fast("10.1.0.0/33,10.1.0.0/x,/8,10.1.0.0/", NULL, why), 0);
    /* a network matches by address: eth0's second one, 10.2.0.5 */
    ck_assert_int_eq(fast("10.2.0.0/16", NULL, why), 1);
    ck_assert_str_eq(why, "eth0 at 100000 Mbit/s");
    ck_assert_int_eq(fast("0.0.0.0/0", NULL, why), 0);   /* every address */
}
END_TEST

START_TEST(short_why_is_cut)
{
    char why[8];

    ck_assert_int_eq(mpift_if_fast(root, "lo,eth0", NULL, ifs(), why, sizeof(why)), 1);
    ck_assert_uint_lt(strlen(why), sizeof(why));
    ck_assert_int_eq(mpift_if_fast(root, "lo,eth0", NULL, ifs(), why, 0), 1);
}
END_TEST

static Suite *ifspeed_suite(void)
{
    Suite *s = suite_create("ifspeed");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, loopback_alone_is_fast);
    tcase_add_test(tc, fabric_is_fast_veth_is_not);
    tcase_add_test(tc, unknown_speed_is_not_fast);
    tcase_add_test(tc, default_exclude_is_open_mpis);
    tcase_add_test(tc, nothing_used_is_not_fast);
    tcase_add_test(tc, short_why_is_cut);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(ifspeed_suite)
