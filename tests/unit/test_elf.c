/*
 * test_elf.c - elf/elf.h and elf/resolve.h on hand-built objects: each
 * test writes minimal ELF files (a header, PT_LOAD, PT_DYNAMIC, maybe
 * PT_INTERP, a string table and a dynamic array) into a temporary tree
 * and checks what is read and which file the loader's rules find: RPATH
 * inherited down the loader chain, turned off by RUNPATH, RUNPATH for the
 * object's own needs only, LD_LIBRARY_PATH between them, $ORIGIN, the
 * system folders left out, the C library never searched, a library of
 * another machine passed over, a missing one named with who needs it.
 */
#include <check.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/elf.h"
#include "elf/resolve.h"
#include "unit_main.h"

#define NEEDED_MAX 8
#define BASE 0x10000

struct obj {
    int cls, data;          /* 0: 64-bit little-endian */
    uint16_t machine;       /* 0: x86-64 */
    int interp;             /* a program: PT_INTERP */
    const char *soname, *rpath, *runpath;
    const char *needed[NEEDED_MAX];
    int bad_strtab;         /* DT_STRTAB beyond the file */
};

static char top[64];   /* short: the paths built below it fit PATH_MAX */

/* Write o at top/rel (folders made). */
static void mk(const char *rel, const struct obj *o)
{
    unsigned char buf[4096];
    Elf64_Ehdr *h = (Elf64_Ehdr *)buf;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*h));
    char path[PATH_MAX], *sl;
    size_t str = sizeof(*h) + 3 * sizeof(*ph), s = 1, dyn, nd = 0, i, interp = 0;
    Elf64_Dyn d[16];
    int fd;

    memset(buf, 0, sizeof(buf));
    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = o->cls ? (unsigned char)o->cls : ELFCLASS64;
    h->e_ident[EI_DATA] = o->data ? (unsigned char)o->data : ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_type = o->interp ? ET_EXEC : ET_DYN;
    h->e_machine = o->machine ? o->machine : EM_X86_64;
    h->e_phoff = sizeof(*h);
    h->e_phentsize = sizeof(*ph);
    h->e_phnum = 3;
#define STR(v) (strcpy((char *)buf + str + s, (v)), s += strlen(v) + 1, s - strlen(v) - 1)
    if (o->interp)
        interp = STR("/lib64/ld-linux-x86-64.so.2");
    for (i = 0; i < NEEDED_MAX && o->needed[i]; i++)
        d[nd].d_tag = DT_NEEDED, d[nd++].d_un.d_val = STR(o->needed[i]);
    if (o->soname)
        d[nd].d_tag = DT_SONAME, d[nd++].d_un.d_val = STR(o->soname);
    if (o->rpath)
        d[nd].d_tag = DT_RPATH, d[nd++].d_un.d_val = STR(o->rpath);
    if (o->runpath)
        d[nd].d_tag = DT_RUNPATH, d[nd++].d_un.d_val = STR(o->runpath);
    d[nd].d_tag = DT_STRTAB, d[nd++].d_un.d_ptr = o->bad_strtab ? BASE + 100000 : BASE + str;
    d[nd].d_tag = DT_STRSZ, d[nd++].d_un.d_val = s;
    d[nd].d_tag = DT_NULL, d[nd++].d_un.d_val = 0;
#undef STR
    dyn = (str + s + 7) & ~(size_t)7;
    memcpy(buf + dyn, d, nd * sizeof(*d));
    ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0, .p_vaddr = BASE, .p_filesz = dyn + nd * sizeof(*d)};
    ph[1] = (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_offset = dyn, .p_vaddr = BASE + dyn, .p_filesz = nd * sizeof(*d)};
    ph[2] = o->interp ? (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = str + interp, .p_filesz = 28}
                      : (Elf64_Phdr){.p_type = PT_NOTE};
    snprintf(path, sizeof(path), "%s/%s", top, rel);
    for (sl = strchr(path + strlen(top) + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
        *sl = '\0';
        mkdir(path, 0755);
        *sl = '/';
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, dyn + nd * sizeof(*d)), (ssize_t)(dyn + nd * sizeof(*d)));
    close(fd);
}

static void link_to(const char *target, const char *rel)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", top, rel);
    ck_assert_int_eq(symlink(target, path), 0);
}

static void setup(void)
{
    snprintf(top, sizeof(top), "/tmp/mpift-test-elf-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
    ck_assert_int_eq(system(cmd), 0);
}

static int read_obj(const char *rel, struct mpift_elf *e, char *why, size_t len)
{
    char path[PATH_MAX];
    int fd, rc;

    snprintf(path, sizeof(path), "%s/%s", top, rel);
    fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    rc = mpift_elf_read(fd, rel, e, why, len);
    close(fd);
    return rc;
}

START_TEST(reads_dynamic)
{
    struct obj o = {.interp = 1, .soname = "libme.so.1", .rpath = "/r", .runpath = "$ORIGIN/x",
                    .needed = {"liba.so.1", "libb.so.2", "libc.so.6"}};
    struct mpift_elf e;
    char why[256];

    mk("p", &o);
    ck_assert_int_eq(read_obj("p", &e, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(e.nneeded, 3);
    ck_assert_str_eq(e.needed[0], "liba.so.1");
    ck_assert_str_eq(e.needed[2], "libc.so.6");
    ck_assert_str_eq(e.soname, "libme.so.1");
    ck_assert_str_eq(e.rpath, "/r");
    ck_assert_str_eq(e.runpath, "$ORIGIN/x");
    ck_assert_str_eq(e.interp, "/lib64/ld-linux-x86-64.so.2");
    ck_assert_uint_eq(e.machine, EM_X86_64);
    mpift_elf_free(&e);
}
END_TEST

START_TEST(refuses_other_kinds)
{
    struct obj o32 = {.cls = ELFCLASS32}, obe = {.data = ELFDATA2MSB}, bad = {.bad_strtab = 1, .needed = {"x.so"}};
    struct mpift_elf e;
    char why[256], path[PATH_MAX];
    FILE *f;

    mk("o32", &o32);
    ck_assert_int_eq(read_obj("o32", &e, why, sizeof(why)), MPIFT_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(why, "32-bit"));
    mpift_elf_free(&e);
    mk("obe", &obe);
    ck_assert_int_eq(read_obj("obe", &e, why, sizeof(why)), MPIFT_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(why, "big-endian"));
    mpift_elf_free(&e);
    mk("bad", &bad);
    ck_assert_int_eq(read_obj("bad", &e, why, sizeof(why)), MPIFT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(why, "damaged"));
    mpift_elf_free(&e);
    snprintf(path, sizeof(path), "%s/script", top);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\necho this is not an ELF object at all, but long enough\n", f);
    fclose(f);
    ck_assert_int_eq(read_obj("script", &e, why, sizeof(why)), MPIFT_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(why, "not an ELF"));
    mpift_elf_free(&e);
}
END_TEST

/* The closure of top/prog with LD_LIBRARY_PATH ld (top-relative, or
 * NULL) and the system folder top/sys. */
static int with_system;   /* libs_system: the next closure stages the system's too */

static int closure(const char *prog, const char *ld, const char *const *extra, size_t nextra,
                   struct mpift_closure *c, char *why, size_t len)
{
    static char sys[PATH_MAX], ldp[PATH_MAX], path[PATH_MAX];
    static const char *dirs[2];
    struct mpift_search s = {NULL, dirs, "lib64", "x86_64", with_system};

    snprintf(sys, sizeof(sys), "%s/sys", top);
    mkdir(sys, 0755);
    dirs[0] = sys;
    dirs[1] = NULL;
    if (ld) {
        snprintf(ldp, sizeof(ldp), "%s/%s", top, ld);
        s.ld_library_path = ldp;
    }
    snprintf(path, sizeof(path), "%s/%s", top, prog);
    return mpift_closure_find(path, extra, nextra, &s, c, why, len);
}

/* The object of c found for name: its path below top, or "". */
static const char *found(const struct mpift_closure *c, const char *name)
{
    size_t i, k;

    for (i = 1; i < c->n; i++)
        for (k = 0; k < c->o[i].nnames; k++)
            if (strcmp(c->o[i].names[k], name) == 0)
                return c->o[i].path + strlen(top) + 1;
    return "";
}

START_TEST(runpath_origin_links)
{
    struct obj prog = {.interp = 1, .runpath = "${ORIGIN}/../a", .needed = {"liba.so.1", "libc.so.6"}};
    struct obj a = {.soname = "liba.so.1", .runpath = "$ORIGIN/../b", .needed = {"libb.so.2"}};
    struct obj b = {.soname = "libb.so.2"};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("a/liba.so.1.0", &a);
    link_to("liba.so.1.0", "a/liba.so.1");
    mk("b/libb.so.2.3", &b);
    link_to("libb.so.2.3", "b/libb.so.2");
    ck_assert_int_eq(closure("bin/prog", NULL, NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(c.n, 3);   /* the program, liba, libb: libc never searched */
    ck_assert_str_eq(found(&c, "liba.so.1"), "bin/../a/liba.so.1");
    ck_assert_ptr_nonnull(strstr(c.o[1].real, "/a/liba.so.1.0"));
    /* $ORIGIN of a library: the folder it was found in */
    ck_assert_str_eq(found(&c, "libb.so.2"), "bin/../a/../b/libb.so.2");
    ck_assert_int_eq(c.o[2].loader, 1);
    ck_assert_int_eq(c.o[1].system || c.o[2].system, 0);
    mpift_closure_free(&c);
}
END_TEST

START_TEST(runpath_not_inherited)
{
    struct obj prog = {.interp = 1, .runpath = "$ORIGIN/../a", .needed = {"liba.so.1"}};
    struct obj a = {.needed = {"libb.so.2"}};
    struct obj b = {0};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("a/liba.so.1", &a);
    mk("a/libb.so.2", &b);   /* in the program's RUNPATH: not liba's */
    ck_assert_int_eq(closure("bin/prog", NULL, NULL, 0, &c, why, sizeof(why)), MPIFT_ERR_NOENT);
    ck_assert_ptr_nonnull(strstr(why, "libb.so.2, needed by "));
    ck_assert_ptr_nonnull(strstr(why, "/a/liba.so.1"));
    mpift_closure_free(&c);
}
END_TEST

START_TEST(rpath_inherited_unless_runpath)
{
    struct obj prog = {.interp = 1, .rpath = "$ORIGIN/../r", .needed = {"liba.so.1"}};
    struct obj prog2 = {.interp = 1, .rpath = "$ORIGIN/../r", .runpath = "$ORIGIN/../empty", .needed = {"liba.so.1"}};
    struct obj a = {.needed = {"libb.so.2"}};
    struct obj b = {0};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("bin/prog2", &prog2);
    mk("r/liba.so.1", &a);
    mk("r/libb.so.2", &b);
    ck_assert_int_eq(closure("bin/prog", NULL, NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(found(&c, "libb.so.2"), "bin/../r/libb.so.2");   /* the program's RPATH, for liba */
    mpift_closure_free(&c);
    /* A RUNPATH turns its object's RPATH off. */
    ck_assert_int_eq(closure("bin/prog2", NULL, NULL, 0, &c, why, sizeof(why)), MPIFT_ERR_NOENT);
    ck_assert_ptr_nonnull(strstr(why, "liba.so.1, needed by "));
    mpift_closure_free(&c);
}
END_TEST

START_TEST(ld_library_path_order)
{
    struct obj prog = {.interp = 1, .rpath = "$ORIGIN/../r", .needed = {"libz.so"}};
    struct obj prog2 = {.interp = 1, .runpath = "$ORIGIN/../u", .needed = {"libz.so"}};
    struct obj z = {0}, other = {.machine = EM_AARCH64};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("bin/prog2", &prog2);
    mk("r/libz.so", &z);
    mk("l/libz.so", &z);
    mk("u/libz.so", &z);
    ck_assert_int_eq(closure("bin/prog", "l", NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(found(&c, "libz.so"), "bin/../r/libz.so");   /* RPATH before LD_LIBRARY_PATH */
    mpift_closure_free(&c);
    ck_assert_int_eq(closure("bin/prog2", "l", NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(found(&c, "libz.so"), "l/libz.so");          /* LD_LIBRARY_PATH before RUNPATH */
    mpift_closure_free(&c);
    mk("l/libz.so", &other);   /* another machine's: passed over */
    ck_assert_int_eq(closure("bin/prog2", "l", NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(found(&c, "libz.so"), "bin/../u/libz.so");
    mpift_closure_free(&c);
}
END_TEST

START_TEST(system_shared_and_extra)
{
    struct obj prog = {.interp = 1, .runpath = "$ORIGIN", .needed = {"libq.so.1", "libr.so", "libsys.so.3"}};
    struct obj q = {.soname = "libq.so.1"};
    struct obj r = {.needed = {"libq.so.1"}};
    struct obj sys = {.needed = {"libnowhere.so.9"}};
    struct obj plug = {.needed = {"libr.so"}};
    const char *extra[] = {"libplug.so"};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("bin/libq.so.1", &q);
    mk("bin/libr.so", &r);
    mk("bin/libplug.so", &plug);
    mk("sys/libsys.so.3", &sys);
    ck_assert_int_eq(closure("bin/prog", NULL, extra, 1, &c, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(c.n, 5);   /* prog, libq (once), libr, libsys, libplug */
    ck_assert_str_eq(found(&c, "libsys.so.3"), "sys/libsys.so.3");
    ck_assert_int_eq(c.o[3].system, 1);   /* the node's own: its needs are the node's */
    ck_assert_str_eq(found(&c, "libplug.so"), "bin/libplug.so");
    ck_assert_int_eq(mpift_closure_libc("libc.so.6"), 1);
    ck_assert_int_eq(mpift_closure_libc("libcrypto.so.3"), 0);
    mpift_closure_free(&c);
    /* libs_system: the system's library is staged, so its needs count. */
    with_system = 1;
    ck_assert_int_eq(closure("bin/prog", NULL, extra, 1, &c, why, sizeof(why)), MPIFT_ERR_NOENT);
    with_system = 0;
    ck_assert_ptr_nonnull(strstr(why, "libnowhere.so.9, needed by "));
    ck_assert_ptr_nonnull(strstr(why, "/sys/libsys.so.3"));
    mpift_closure_free(&c);
}
END_TEST

/* libs_system stages the system's libraries, never the C library: it
 * must match the node's loader, which is never staged. */
START_TEST(libc_stays_the_nodes)
{
    struct obj prog = {.interp = 1, .needed = {"libsys.so.3", "libc.so.6", "libm.so.6"}};
    struct obj sys = {.needed = {"libc.so.6"}}, libc = {.soname = "libc.so.6"};
    struct mpift_closure c;
    char why[1024];

    mk("bin/prog", &prog);
    mk("sys/libsys.so.3", &sys);
    mk("sys/libc.so.6", &libc);
    mk("sys/libm.so.6", &libc);
    with_system = 1;
    ck_assert_int_eq(closure("bin/prog", NULL, NULL, 0, &c, why, sizeof(why)), MPIFT_OK);
    with_system = 0;
    ck_assert_uint_eq(c.n, 2);   /* the program and libsys: no libc, no libm */
    ck_assert_str_eq(found(&c, "libsys.so.3"), "sys/libsys.so.3");
    ck_assert_int_eq(c.o[1].system, 0);   /* staged */
    ck_assert_str_eq(found(&c, "libc.so.6"), "");
    mpift_closure_free(&c);
}
END_TEST

static Suite *elf_suite(void)
{
    Suite *s = suite_create("elf");
    TCase *tc = tcase_create("Core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_dynamic);
    tcase_add_test(tc, refuses_other_kinds);
    tcase_add_test(tc, runpath_origin_links);
    tcase_add_test(tc, runpath_not_inherited);
    tcase_add_test(tc, rpath_inherited_unless_runpath);
    tcase_add_test(tc, ld_library_path_order);
    tcase_add_test(tc, system_shared_and_extra);
    tcase_add_test(tc, libc_stays_the_nodes);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(elf_suite)
