/*
 * test_plan.c - plan building: globs, folders, recursion, scatter, the
 * stage-out list of one rank, and the errors (missing, duplicate, escape,
 * folder without recursive), on a real tree in a temporary folder.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "stage/plan.h"
#include "job/topo.h"
#include "unit_main.h"

static char root[PATH_MAX];
static struct mpift_topo topo;
static int node_of[3] = {0, 0, 1}, local_of[3] = {0, 1, 0}, leaders[2] = {0, 2};
static char hosts[3][MPIFT_HOST_MAX] = {"hostA", "hostA", "hostB"};

/* A file of `size` bytes at root/rel, folders made as needed. */
static void put(const char *rel, size_t size)
{
    char path[PATH_MAX * 2], cmd[PATH_MAX * 2 + 32], *slash;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    slash = strrchr(path, '/');
    *slash = '\0';
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    *slash = '/';
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < size; i++)
        fputc('x', f);
    fclose(f);
}

static void setup(void)
{
    char tmpl[] = "/tmp/mpift-plan-XXXXXX", cmd[PATH_MAX * 3 + 64];

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    snprintf(root, sizeof(root), "%s", tmpl);
    put("a.dat", 10);
    put("b.dat", 20);
    put("c.txt", 1);
    put("sub/d.dat", 30);
    put("sub/e/f.dat", 40);
    put("part-0.bin", 5);
    put("part-2.bin", 7);
    put("out/run.log", 3);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/sub/empty' '%s/folder' && ln -s /etc/passwd '%s/escape'", root, root,
             root);
    ck_assert_int_eq(system(cmd), 0);
    memset(&topo, 0, sizeof(topo));
    topo.size = 3;
    topo.nnodes = 2;
    topo.node_of = node_of;
    topo.local_of = local_of;
    topo.leaders = leaders;
    topo.hosts = hosts;
    strcpy(topo.jobid, "42-1");
    strcpy(topo.tmpdir, "/tmp");
    strcpy(topo.user, "u");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static struct mpift_config *config(const char *lists)
{
    char text[4096], err[4096] = "";
    struct mpift_config *cfg = NULL;

    snprintf(text, sizeof(text), "version = 1;\npaths: { source = \"/x\"; dest = \"/d\"; collect = \"/c\"; };\n%s",
             lists);
    ck_assert_msg(mpift_config_load("/t/t.cfg", text, NULL, 0, &cfg, err, sizeof(err)) == MPIFT_OK, "%s", err);
    return cfg;
}

/* The entry whose dest is `dest` (and target), or NULL. */
static const struct mpift_pfile *find(const struct mpift_plan *p, const char *dest, int target)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->f[i].dest, dest) == 0 && p->f[i].target == target)
            return &p->f[i];
    return NULL;
}

START_TEST(globs_folders_recursion)
{
    struct mpift_config *cfg = config("stage_in = ( { src = \"*.dat\"; dest = \"in/\"; },\n"
                                      "  { src = \"sub/\"; dest = \"s/\"; recursive = true; } );\n");
    struct mpift_plan p;
    const struct mpift_pfile *f;

    ck_assert_int_eq(mpift_plan_build(cfg, root, &topo, &p), MPIFT_OK);
    ck_assert_uint_eq(p.nerrors, 0);
    ck_assert_uint_eq(p.nfiles, 4);
    ck_assert_uint_eq(p.bytes, 10 + 20 + 30 + 40);
    ck_assert_ptr_nonnull(f = find(&p, "in/a.dat", -1));
    ck_assert_uint_eq(f->size, 10);
    ck_assert_ptr_nonnull(f->src);
    ck_assert_ptr_nonnull(strstr(f->src->path, "/a.dat"));
    ck_assert_uint_ne(f->src->ino, 0);   /* the file planned: checked when it is opened */
    ck_assert_ptr_nonnull(find(&p, "in/b.dat", -1));
    ck_assert_ptr_null(find(&p, "in/c.txt", -1));      /* not matched */
    ck_assert_ptr_nonnull(find(&p, "s/d.dat", -1));
    ck_assert_ptr_nonnull(f = find(&p, "s/e/f.dat", -1));
    ck_assert_uint_eq(f->size, 40);
    ck_assert_ptr_nonnull(f = find(&p, "s/empty", -1)); /* an empty folder is planned */
    ck_assert_int_eq(f->type, MPIFT_PT_DIR);
    /* Sorted by destination: a folder comes before what it holds. */
    for (size_t i = 1; i < p.n; i++)
        ck_assert_int_lt(strcmp(p.f[i - 1].dest, p.f[i].dest), 0);
    mpift_plan_free(&p);
    mpift_config_free(&cfg);
}
END_TEST

START_TEST(errors_are_counted_and_the_rest_planned)
{
    struct mpift_config *cfg = config("stage_in = ( { src = \"nosuch.dat\"; dest = \"\"; },\n"
                                      "  { src = \"a.dat\"; dest = \"same.dat\"; },\n"
                                      "  { src = \"b.dat\"; dest = \"same.dat\"; },\n"
                                      "  { src = \"escape\"; dest = \"\"; },\n"
                                      "  { src = \"folder\"; dest = \"\"; },\n"
                                      "  { src = \"c.txt\"; dest = \"\"; } );\n");
    struct mpift_plan p;

    ck_assert_int_eq(mpift_plan_build(cfg, root, &topo, &p), MPIFT_OK);
    /* missing, duplicate destination, escaping link, folder without recursive */
    ck_assert_uint_eq(p.nerrors, 4);
    ck_assert_ptr_nonnull(find(&p, "c.txt", -1));
    ck_assert_ptr_nonnull(find(&p, "same.dat", -1));     /* one of the two */
    ck_assert_ptr_null(find(&p, "escape", -1));
    ck_assert_uint_eq(p.nfiles, 2);
    mpift_plan_free(&p);
    mpift_config_free(&cfg);
}
END_TEST

START_TEST(scatter_per_rank)
{
    struct mpift_config *cfg = config("stage_in = ( { src = \"part-%r.bin\"; dest = \"shard.bin\"; to = \"rank\"; } );\n");
    struct mpift_plan p;
    const struct mpift_pfile *f;

    ck_assert_int_eq(mpift_plan_build(cfg, root, &topo, &p), MPIFT_OK);
    ck_assert_uint_eq(p.nerrors, 1);                    /* part-1.bin is missing: rank 1 */
    ck_assert_ptr_nonnull(f = find(&p, "shard.bin", 0));
    ck_assert_uint_eq(f->size, 5);
    ck_assert_ptr_nonnull(f = find(&p, "shard.bin", 2));
    ck_assert_uint_eq(f->size, 7);
    ck_assert_ptr_null(find(&p, "shard.bin", 1));
    mpift_plan_free(&p);
    mpift_config_free(&cfg);
}
END_TEST

/* plan's status for `lists` (the run stops before anything moves unless MPIFT_OK). */
static int plan_status(const char *lists)
{
    struct mpift_config *cfg = config(lists);
    struct mpift_plan p;
    int rc = mpift_plan_build(cfg, root, &topo, &p);

    mpift_plan_free(&p);
    mpift_config_free(&cfg);
    return rc;
}

START_TEST(scatter_clashes)
{
    /* Ranks 0 and 1 share hostA and the root /d: one shard.bin for both. */
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"a.dat\"; dest = \"shard.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_ERR_CONFIG);
    /* %l (or %r) in the dest keeps them apart; %n or %h would not. */
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"a.dat\"; dest = \"s-%l.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_OK);
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"a.dat\"; dest = \"%h/s.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_ERR_CONFIG);
    /* A rank's own file where a node leader puts a file every node gets. */
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"a.dat\"; dest = \"x.bin\"; },\n"
                                 "  { src = \"part-%r.bin\"; dest = \"x.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_ERR_CONFIG);
    /* ... but only there: rank 1 does not write what every node gets. */
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"a.dat\"; dest = \"x.bin\"; },\n"
                                 "  { src = \"b.dat\"; dest = \"x.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_ERR_CONFIG);
    /* Two folders of one name are one folder. */
    ck_assert_int_eq(plan_status("stage_in = ( { src = \"sub/empty\"; dest = \"\"; recursive = true; to = \"rank\"; } );\n"),
                     MPIFT_OK);
    /* copies = "once": one shared dest for the whole job, so local ranks 0
     * of both nodes meet; %r keeps them apart. */
    ck_assert_int_eq(plan_status("workers: { copies = \"once\"; };\n"
                                 "stage_in = ( { src = \"a.dat\"; dest = \"s-%l.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_ERR_CONFIG);
    ck_assert_int_eq(plan_status("workers: { copies = \"once\"; };\n"
                                 "stage_in = ( { src = \"a.dat\"; dest = \"s-%r.bin\"; to = \"rank\"; } );\n"),
                     MPIFT_OK);
}
END_TEST

START_TEST(stage_out_for_one_rank)
{
    struct mpift_config *cfg = config("stage_out = ( { src = \"out/*.log\"; dest = \"%h-%r/\"; } );\n");
    struct mpift_plan p;
    const struct mpift_pfile *f;

    ck_assert_int_eq(mpift_plan_build_out(cfg, root, &topo, 2, &p), MPIFT_OK);
    ck_assert_uint_eq(p.nerrors, 0);
    ck_assert_ptr_nonnull(f = find(&p, "hostB-2/run.log", -1));
    ck_assert_uint_eq(f->size, 3);
    mpift_plan_free(&p);
    mpift_config_free(&cfg);
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("Core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, globs_folders_recursion);
    tcase_add_test(tc, errors_are_counted_and_the_rest_planned);
    tcase_add_test(tc, scatter_per_rank);
    tcase_add_test(tc, scatter_clashes);
    tcase_add_test(tc, stage_out_for_one_rank);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(plan_suite)
