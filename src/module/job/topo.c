/*
 * topo.c - topology discovery.  The only file that speaks PMIx.
 *
 * PMIx answers what the launcher knows (node id, local rank, host, job id,
 * the job's temp dir).  Node identity is then made consistent across ranks
 * with MPI: ranks that share a node id form a node communicator whose lowest
 * rank is the node leader, and node indices are renumbered densely in leader
 * order so "%n" and messages agree whatever the launcher numbers nodes.
 * A build without PMIx (configure --without-pmix, HAVE_PMIX unset) always
 * takes the MPI path, as a run where no PMIx server answers does.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#ifdef HAVE_PMIX
#include <pmix.h>
#endif
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "config/template.h"
#include "job/topo.h"
#include "comm/agree.h"
#include "comm/status.h"
#include "comm/wait.h"

struct pmix_facts {
    int ok;
    uint32_t nodeid;
    uint16_t local_rank;
    char host[MPIFT_HOST_MAX];
    char jobid[MPIFT_JOBID_MAX];
    char tmpdir[PATH_MAX];
    int tmpdir_per_step;
};

#ifdef HAVE_PMIX
/* Fetch one string / integer key; on failure leave the output untouched. */
static void pmix_get_string(const pmix_proc_t *p, const char *key, char *out, size_t outlen)
{
    pmix_value_t *v = NULL;

    if (PMIx_Get(p, key, NULL, 0, &v) != PMIX_SUCCESS || !v)
        return;
    if (v->type == PMIX_STRING && v->data.string)
        snprintf(out, outlen, "%s", v->data.string);
    PMIX_VALUE_RELEASE(v);
}

static int pmix_get_u32(const pmix_proc_t *p, const char *key, uint32_t *out)
{
    pmix_value_t *v = NULL;
    int rc = -1;

    if (PMIx_Get(p, key, NULL, 0, &v) != PMIX_SUCCESS || !v)
        return -1;
    switch (v->type) {
    case PMIX_UINT32: *out = v->data.uint32; rc = 0; break;
    case PMIX_UINT16: *out = v->data.uint16; rc = 0; break;
    case PMIX_INT: *out = (uint32_t)v->data.integer; rc = 0; break;
    case PMIX_UINT64: *out = (uint32_t)v->data.uint64; rc = 0; break;
    default: break;
    }
    PMIX_VALUE_RELEASE(v);
    return rc;
}

/*
 * Is `dir` a folder that lives only as long as one step of the job?
 * Slurm's PMIx plugin names each step's folder (its PMIX_NSDIR)
 * spmix_appdir_<uid>_<job>.<step> and slurmstepd deletes it when that
 * step - one srun - ends: files staged there are gone for the job's next
 * step.
 */
static int step_folder(const char *dir)
{
    const char *base = strrchr(dir, '/');

    base = base ? base + 1 : dir;
    return strncmp(base, "spmix_appdir_", strlen("spmix_appdir_")) == 0 && strchr(base, '.') != NULL;
}

/* Ask PMIx.  facts->ok stays 0 when no server answers or a key is missing. */
static void pmix_query(struct pmix_facts *f)
{
    pmix_proc_t me, job;
    uint32_t u;

    memset(f, 0, sizeof(*f));
    /* For the test suite: exercise the fallback under a PMIx launcher. */
    if (getenv("MPIFT_TEST_NO_PMIX"))
        return;
    /* Without a server (singleton, another launcher) PMIx_Init fails fast. */
    if (getenv("PMIX_NAMESPACE") == NULL && getenv("PMIX_SERVER_URI4") == NULL &&
        getenv("PMIX_SERVER_URI3") == NULL && getenv("PMIX_SERVER_URI2") == NULL &&
        getenv("PMIX_SERVER_URI41") == NULL)
        return;
    if (PMIx_Init(&me, NULL, 0) != PMIX_SUCCESS)
        return;
    PMIX_LOAD_PROCID(&job, me.nspace, PMIX_RANK_WILDCARD);

    if (pmix_get_u32(&me, PMIX_NODEID, &f->nodeid) != 0)
        goto out;
    if (pmix_get_u32(&me, PMIX_LOCAL_RANK, &u) != 0)
        goto out;
    f->local_rank = (uint16_t)u;
    pmix_get_string(&me, PMIX_HOSTNAME, f->host, sizeof(f->host));
    /* Open MPI's mpirun sets no scheduler job id: the namespace names the job. */
    snprintf(f->jobid, sizeof(f->jobid), "%s", me.nspace);
    pmix_get_string(&job, PMIX_JOBID, f->jobid, sizeof(f->jobid));
    pmix_get_string(&job, PMIX_NSDIR, f->tmpdir, sizeof(f->tmpdir));
    f->tmpdir_per_step = step_folder(f->tmpdir);
    if (!f->tmpdir[0])
        pmix_get_string(&job, PMIX_TMPDIR, f->tmpdir, sizeof(f->tmpdir));
    f->ok = 1;
out:
    PMIx_Finalize(NULL, 0);
}
#else
/* Built without PMIx: no facts, so every rank takes the MPI path. */
static void pmix_query(struct pmix_facts *f)
{
    memset(f, 0, sizeof(*f));
}
#endif

/* The id of the batch job we run in, or NULL (mpift's own variable first,
 * then Slurm, PBS/Torque, LSF, Flux, Grid Engine). */
static const char *batch_jobid(void)
{
    static const char *const vars[] = { "MPIFT_JOB_ID", "SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "FLUX_JOB_ID" };
    const char *v;
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if ((v = getenv(vars[i])) != NULL && *v)
            return v;
    /* Grid Engine's JOB_ID is a common name: only with SGE_ROOT beside it. */
    if ((v = getenv("JOB_ID")) != NULL && *v && getenv("SGE_ROOT"))
        return v;
    return NULL;
}

/* Keep [A-Za-z0-9._-]; other runs become one '-', trimmed at both ends. */
static void sanitize_jobid(char *id)
{
    char *w = id;
    const char *r;
    int pending = 0;

    for (r = id; *r; r++) {
        if (isalnum((unsigned char)*r) || *r == '.' || *r == '_' || (*r == '-' && w != id)) {
            if (pending && w != id)
                *w++ = '-';
            pending = 0;
            *w++ = *r;
        } else {
            pending = 1;
        }
    }
    *w = '\0';
    if (id[0] == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        snprintf(id, 8, "job");
}

/* What every collective below waits for. */
#define SHARING "waiting for every rank to share its place in the topology"

/* Nodes from every rank's leader: a rank is a leader iff leader_of[r] ==
 * r; leaders in rank order get node indices 0, 1, 2, ... */
static int number_nodes(struct mpift_topo *t, const int *leader_of)
{
    int i, n;

    for (i = 0; i < t->size; i++)
        if (leader_of[i] == i)
            t->nnodes++;
    t->leaders = calloc((size_t)t->nnodes, sizeof(int));
    if (!t->leaders)
        return MPIFT_ERR_NOMEM;
    t->nnodes = 0;
    for (i = 0; i < t->size; i++)
        if (leader_of[i] == i)
            t->leaders[t->nnodes++] = i;
    for (i = 0; i < t->size; i++) {
        for (n = 0; n < t->nnodes; n++)
            if (t->leaders[n] == leader_of[i])
                break;
        t->node_of[i] = n;
    }
    t->nodeid = t->node_of[t->rank];
    return MPIFT_OK;
}

/* --verbose: one line per node, not per rank (1000 ranks stay readable). */
static void log_topology(const struct mpift_topo *t)
{
    if (t->rank == t->leader)
        mpift_log_verbose("topology from %s: %d rank%s on %d node%s; node %d (%s) has %d rank%s, leader rank %d; "
                          "job %s, temp dir %s%s", t->source, t->size, t->size == 1 ? "" : "s", t->nnodes,
                          t->nnodes == 1 ? "" : "s", t->nodeid, t->host, t->local_size,
                          t->local_size == 1 ? "" : "s", t->leader, t->jobid, t->tmpdir,
                          t->tmpdir_per_step ? " (this step's own: deleted when the step ends)" : "");
}

/*
 * With PMIx: a node is the ranks that share its node id.  Every rank's id
 * comes with one non-blocking allgather, and this rank's leader (the
 * lowest rank of its node), local rank and local size are counted from
 * them.  No MPI_Comm_split: it blocks, and under Open MPI's defaults a
 * rank blocked in MPI spins; with more ranks than cores the spinning
 * ranks starve the ones they wait for (a split among 8 ranks on 2 cores
 * took 115-150 ms, 4-12 ms with mpi_yield_when_idle).
 */
static int pmix_local(MPI_Comm comm, struct mpift_watch *w, struct mpift_topo *t, uint32_t nodeid)
{
    MPI_Request rq;
    uint32_t *ids = calloc((size_t)t->size, sizeof(uint32_t));
    int rc, r;

    if (!ids)
        return MPIFT_ERR_NOMEM;
    rc = mpift_wait_coll(w, SHARING, MPI_Iallgather(&nodeid, 1, MPI_UINT32_T, ids, 1, MPI_UINT32_T, comm, &rq), &rq);
    t->leader = -1;
    t->local_rank = t->local_size = 0;
    for (r = 0; rc == MPIFT_OK && r < t->size; r++) {
        if (ids[r] != nodeid)
            continue;
        if (t->leader < 0)
            t->leader = r;
        if (r < t->rank)
            t->local_rank++;
        t->local_size++;
    }
    free(ids);
    return rc;
}

/*
 * Without PMIx: the ranks that can share memory (MPI_Comm_split_type
 * SHARED), then the lowest of them.  MPI_Comm_split_type has no
 * non-blocking form: the one call of mpift that waits without the
 * watchdog, right after a collective every rank has passed (see
 * docs/internals.md).
 */
static int split_shared(MPI_Comm comm, struct mpift_watch *w, struct mpift_topo *t)
{
    MPI_Comm node;
    MPI_Request rq;
    int rc;

    rc = mpift_mpi_status(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, t->rank, MPI_INFO_NULL, &node));
    if (rc != MPIFT_OK)
        return rc;
    MPI_Comm_rank(node, &t->local_rank);
    MPI_Comm_size(node, &t->local_size);
    rc = mpift_wait_coll(w, SHARING, MPI_Iallreduce(&t->rank, &t->leader, 1, MPI_INT, MPI_MIN, node, &rq), &rq);
    MPI_Comm_free(&node);
    return rc;
}

int mpift_topo_discover(MPI_Comm comm, struct mpift_watch *w, struct mpift_topo *t)
{
    struct pmix_facts pf;
    MPI_Request rq;
    int rc, len, mine[2], any[2], *leader_of = NULL;
    char name[MPI_MAX_PROCESSOR_NAME];
    struct passwd *pw;
    const char *env;

    memset(t, 0, sizeof(*t));
    MPI_Comm_rank(comm, &t->rank);
    MPI_Comm_size(comm, &t->size);

    pmix_query(&pf);
    /* PMIx only if every rank has it: a mix would split nodes two ways.
     * A per-step temp dir on any rank makes %t per step for all. */
    mine[0] = pf.ok ? 0 : 1;
    mine[1] = pf.ok && pf.tmpdir_per_step;
    rc = mpift_wait_coll(w, SHARING, MPI_Iallreduce(mine, any, 2, MPI_INT, MPI_MAX, comm, &rq), &rq);
    if (rc != MPIFT_OK)
        goto out;
    rc = any[0] ? split_shared(comm, w, t) : pmix_local(comm, w, t, pf.nodeid);
    if (rc != MPIFT_OK)
        goto out;
    if (pf.ok && pf.local_rank != (uint16_t)t->local_rank)
        mpift_log_verbose("PMIx local rank %u differs from this rank's place among its node's ranks, %d; using %d",
                          pf.local_rank, t->local_rank, t->local_rank);

    if (!any[0]) {
        t->source = "PMIx";
        snprintf(t->host, sizeof(t->host), "%s", pf.host);
        snprintf(t->jobid, sizeof(t->jobid), "%s", pf.jobid);
        snprintf(t->tmpdir, sizeof(t->tmpdir), "%s", pf.tmpdir);
        t->tmpdir_per_step = any[1];
    } else {
        t->source = "MPI shared-memory split";
    }
    if (!t->host[0]) {
        if (MPI_Get_processor_name(name, &len) == MPI_SUCCESS)
            snprintf(t->host, sizeof(t->host), "%s", name);
        else
            gethostname(t->host, sizeof(t->host) - 1);
    }
    if (!t->tmpdir[0]) {
        env = getenv("TMPDIR");
        snprintf(t->tmpdir, sizeof(t->tmpdir), "%s", env && *env ? env : "/tmp");
    }
    /* %j names the batch job when there is one, not this MPI job: stage-in,
     * the computation and stage-out are separate mpiruns (each its own PMIx
     * namespace) and must agree on the folder.  MPIFT_JOB_ID does that
     * outside a batch system.  Else PMIx's id, else rank 0's pid. */
    if ((env = batch_jobid()) != NULL)
        snprintf(t->jobid, sizeof(t->jobid), "%s", env);
    else if (!t->jobid[0])
        snprintf(t->jobid, sizeof(t->jobid), "pid%ld", (long)getpid());
    /* %j lands in paths: keep it to a portable file name ("[14010,1]",
     * Open MPI's job id, becomes "14010-1"; a '/' can never get in). */
    sanitize_jobid(t->jobid);
    /* Everyone uses rank 0's job id, so %j expands the same on all nodes. */
    rc = mpift_agree_bcast(comm, t->jobid, sizeof(t->jobid), MPI_CHAR, 0, w, SHARING);
    if (rc != MPIFT_OK)
        goto out;
    pw = getpwuid(geteuid());
    snprintf(t->user, sizeof(t->user), "%s", pw ? pw->pw_name : "unknown");

    t->node_of = calloc((size_t)t->size, sizeof(int));
    t->local_of = calloc((size_t)t->size, sizeof(int));
    t->hosts = calloc((size_t)t->size, sizeof(*t->hosts));
    leader_of = calloc((size_t)t->size, sizeof(int));
    if (!t->node_of || !t->local_of || !t->hosts || !leader_of) {
        rc = MPIFT_ERR_NOMEM;
        goto out;
    }
    rc = mpift_wait_coll(w, SHARING, MPI_Iallgather(&t->leader, 1, MPI_INT, leader_of, 1, MPI_INT, comm, &rq), &rq);
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(w, SHARING, MPI_Iallgather(&t->local_rank, 1, MPI_INT, t->local_of, 1, MPI_INT, comm,
                                                        &rq), &rq);
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(w, SHARING, MPI_Iallgather(t->host, MPIFT_HOST_MAX, MPI_CHAR, t->hosts,
                                                        MPIFT_HOST_MAX, MPI_CHAR, comm, &rq), &rq);
    if (rc != MPIFT_OK)
        goto out;

    rc = number_nodes(t, leader_of);
    if (rc != MPIFT_OK)
        goto out;
    log_topology(t);
out:
    free(leader_of);
    if (rc != MPIFT_OK)
        mpift_topo_free(t);
    return rc;
}

void mpift_topo_tvars(const struct mpift_topo *t, int rank, struct mpift_tvars *v)
{
    v->host = t->hosts[rank];
    v->nodeid = t->node_of[rank];
    v->rank = rank;
    v->local_rank = t->local_of[rank];
    v->jobid = t->jobid;
    v->tmpdir = t->tmpdir;
    v->user = t->user;
}

void mpift_topo_free(struct mpift_topo *t)
{
    if (!t)
        return;
    free(t->node_of);
    free(t->local_of);
    free(t->leaders);
    free(t->hosts);
    t->node_of = t->local_of = t->leaders = NULL;
    t->hosts = NULL;
}

struct mpift_rank_label mpift_topo_label(const struct mpift_topo *t, int rank)
{
    struct mpift_rank_label l;

    snprintf(l.s, sizeof(l.s), "%s (rank %d)", t->hosts[rank], rank);
    return l;
}
