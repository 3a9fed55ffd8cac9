/*
 * mpift_spank.c - a Slurm SPANK plugin: srun --mpift-stage=FILE stages
 * FILE's inputs onto the nodes of the step before its tasks start, and
 * srun --mpift-out=FILE gathers FILE's results after they end.
 *
 * Enabled by a line in Slurm's plugstack.conf (see mpift-stage(1)):
 *
 *     optional /usr/local/lib/mpift/mpift_spank.so [mpift_stage=PATH] [srun=PATH] [retries=N]
 *
 * It works in srun (SPANK's local context) only.  Once srun has created
 * the step and before it launches the tasks (slurm_spank_local_user_init),
 * it runs the staging as a step of its own in the same job and waits for it:
 *
 *     srun --jobid=J --overlap --nodelist=NODES -N n -n n --ntasks-per-node=1
 *          --mpi=pmix --kill-on-bad-exit=1 mpift-stage --config FILE
 *
 * (--overlap: the user's step already holds the CPUs).  NODES are the
 * nodes Slurm gave the user's step, asked of slurmctld: a step may use
 * part of its allocation (-w, -N below the job's, --exclude, --relative,
 * nodes busy with other steps), and srun's environment names only the
 * job's nodes, so without the list the staging step would land on
 * whichever nodes Slurm picks first.  If that fails,
 * srun launches nothing and exits with an error; mpift-stage has named the
 * file, node and cause above it.  --mpift-out runs the same step with
 * --out from slurm_spank_exit, after the tasks ended (inside sbatch or
 * salloc only: a bare srun has released its job by then).  A staging step
 * killed by a signal is run again (plugstack retries=N, default 1).
 *
 * It runs the installed launcher instead of loading the engine: MPI and
 * PMIx stay out of srun, and the staging step is an ordinary MPI job that
 * Slurm's PMIx server starts like any other.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(mpift, 1);

/* Set in the staging step's environment: its own srun must not stage again. */
#define NESTED_VAR "MPIFT_SPANK_NESTED"
#define MAX_ARGS 24

static char *stage_cfg;  /* --mpift-stage=FILE, absolute */
static char *out_cfg;    /* --mpift-out=FILE, absolute */
static char *launcher;   /* mpift-stage to run (plugstack mpift_stage=) */
static char *srun_cmd;   /* srun to run it with (plugstack srun=) */
static int retries = 1;  /* plugstack retries=N */
static int step_started; /* local_user_init staged: the user's tasks ran */
static int in_allocation; /* srun runs inside sbatch/salloc's allocation */
static uint32_t job_id;  /* this step's job, node count and nodes, kept */
static uint32_t nnodes;  /* by local_user_init: exit cannot ask Slurm */
static char *step_nodes; /* (the step is gone by then) */

/* FILE as an absolute path in *dst (the staging step may start elsewhere);
 * a missing file is an error now, before anything is launched. */
static int keep_path(char **dst, const char *file, const char *opt)
{
    char buf[PATH_MAX];

    if (!file || !*file) {
        slurm_error("mpift: --%s needs a configuration file (--%s=FILE)", opt, opt);
        return -1;
    }
    if (!realpath(file, buf)) {
        slurm_error("mpift: --%s=%s: %s", opt, file, strerror(errno));
        return -1;
    }
    free(*dst);
    if (!(*dst = strdup(buf))) {
        slurm_error("mpift: out of memory");
        return -1;
    }
    return 0;
}

static int opt_stage(int val, const char *optarg, int remote)
{
    (void)val;
    return remote ? 0 : keep_path(&stage_cfg, optarg, "mpift-stage");
}

/* An srun that makes its own allocation releases it before its exit hook
 * runs: there is no job left to stage out of. */
static int opt_out(int val, const char *optarg, int remote)
{
    (void)val;
    if (remote)
        return 0;
    if (!in_allocation) {
        slurm_error("mpift: --mpift-out needs an allocation that outlives this srun: use it inside sbatch or "
                    "salloc (a bare srun releases its own job before the results could be gathered)");
        return -1;
    }
    return keep_path(&out_cfg, optarg, "mpift-out");
}

struct spank_option spank_options[] = {
    { "mpift-stage", "FILE",
      "Stage FILE's inputs (an mpift configuration) onto the step's nodes before its tasks start", 1, 0,
      opt_stage },
    { "mpift-out", "FILE", "Gather FILE's stage_out results after the step's tasks end (mpift-stage --out)", 1, 0,
      opt_out },
    SPANK_OPTIONS_TABLE_END
};

/* The plugstack.conf arguments: mpift_stage=PATH, srun=PATH, retries=N. */
static int read_args(int ac, char **av)
{
    int i;

    for (i = 0; i < ac; i++) {
        char **dst = NULL, *end;
        const char *v = NULL;
        if (strncmp(av[i], "retries=", 8) == 0) {
            retries = (int)strtol(av[i] + 8, &end, 10);
            if (end != av[i] + 8 && !*end && retries >= 0 && retries <= 10)
                continue;
            slurm_error("mpift: plugstack.conf: %s: retries takes 0..10", av[i]);
            return -1;
        }
        if (strncmp(av[i], "mpift_stage=", 12) == 0)
            dst = &launcher, v = av[i] + 12;
        else if (strncmp(av[i], "srun=", 5) == 0)
            dst = &srun_cmd, v = av[i] + 5;
        if (!dst || !*v) {
            slurm_error("mpift: plugstack.conf: unknown argument '%s' (known: mpift_stage=PATH srun=PATH retries=N)",
                        av[i]);
            return -1;
        }
        free(*dst);
        if (!(*dst = strdup(v)))
            return -1;
    }
    return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    (void)sp;
    if (spank_context() != S_CTX_LOCAL)
        return 0;
    /* before srun allocates anything (options come after init) */
    in_allocation = getenv("SLURM_JOB_ID") != NULL;
    return read_args(ac, av);
}

/* Run the staging step for cfg (with --out when out) once, in this step's
 * job and on its nodes; returns its wait status, or -1 (said) when it
 * could not run. */
static int spawn_step(const char *cfg, int out)
{
    char jobarg[64], narg[32], *nodes = NULL;
    const char *argv[MAX_ARGS];
    int n = 0, status;
    pid_t pid;

    snprintf(jobarg, sizeof(jobarg), "--jobid=%u", job_id);
    snprintf(narg, sizeof(narg), "%u", nnodes);
    argv[n++] = srun_cmd ? srun_cmd : "srun";
    argv[n++] = jobarg;
    argv[n++] = "--overlap";
    if (!(nodes = malloc(strlen(step_nodes) + 16))) {
        slurm_error("mpift: out of memory");
        return -1;
    }
    sprintf(nodes, "--nodelist=%s", step_nodes);
    argv[n++] = nodes;
    argv[n++] = "-N";
    argv[n++] = narg;
    argv[n++] = "-n";
    argv[n++] = narg;
    argv[n++] = "--ntasks-per-node=1";
    argv[n++] = "--mpi=pmix";
    argv[n++] = "--kill-on-bad-exit=1";
    argv[n++] = launcher ? launcher : MPIFT_BINDIR "/mpift-stage";
    argv[n++] = "--config";
    argv[n++] = cfg;
    if (out)
        argv[n++] = "--out";
    argv[n] = NULL;

    pid = fork();
    if (pid < 0) {
        slurm_error("mpift: cannot start the staging step: %s", strerror(errno));
        status = -1;
        goto out;
    }
    if (pid == 0) {
        setenv(NESTED_VAR, "1", 1);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "mpift: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            slurm_error("mpift: lost the staging step: %s", strerror(errno));
            status = -1;
            break;
        }
out:
    free(nodes);
    return status;
}

/*
 * The staging step, run again (up to `retries` times) when it ended
 * without one of mpift-stage's own statuses (0-3): a rank was killed -
 * Debian's Open MPI 4.1 under srun --mpi=pmix crashes in MPI_Init in a
 * few % of launches, a node can fail.  Staging is idempotent: a re-run
 * keeps what arrived whole and sends the rest.  Returns 0 on success.
 */
static int run_step(const char *cfg, int out)
{
    const char *what = out ? "stage-out" : "stage-in", *then = out ? "" : ": the step's tasks are not started";
    int status, try, code;

    for (try = 0;; try++) {
        if ((status = spawn_step(cfg, out)) < 0)
            return -1;
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code == 0)
            return 0;
        if (code <= 3 || try >= retries)
            break;
        slurm_info("mpift: %s of %s ended with status %d (a rank was killed): running it again", what, cfg, code);
    }
    slurm_error("mpift: %s of %s failed (mpift-stage exit status %d)%s", what, cfg, code, then);
    return -1;
}

/*
 * The nodes of step job_id.step (a Slurm host list, e.g. "snode[2-3]")
 * into step_nodes, asked of slurmctld through Slurm's API, which srun
 * provides as it does slurm_error (Makefile.am: no libslurm is linked).
 * Returns 0, or -1 (said) when the list cannot be had: staging elsewhere
 * than on the step's nodes is no fallback.
 */
static int ask_step_nodes(uint32_t step)
{
    job_step_info_response_msg_t *resp = NULL;
    uint32_t i;
    int rc = -1;

    if (slurm_get_job_steps(0, job_id, step, &resp, SHOW_ALL) != 0 || !resp) {
        slurm_error("mpift: cannot ask slurmctld which nodes step %u.%u runs on (%s), so nothing is staged: run the "
                    "srun again", job_id, step, slurm_strerror(slurm_get_errno()));
        return -1;
    }
    for (i = 0; i < resp->job_step_count; i++) {
        job_step_info_t *s = &resp->job_steps[i];
        if (s->step_id.job_id != job_id || s->step_id.step_id != step || !s->nodes || !*s->nodes)
            continue;
        free(step_nodes);
        if ((step_nodes = strdup(s->nodes)))
            rc = 0;
        else
            slurm_error("mpift: out of memory");
        break;
    }
    if (i == resp->job_step_count)
        slurm_error("mpift: slurmctld does not know step %u.%u, so its nodes are unknown and nothing is staged", job_id,
                    step);
    slurm_free_job_step_info_response_msg(resp);
    return rc;
}

int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
    uint32_t step;

    (void)ac;
    (void)av;
    if (getenv(NESTED_VAR) || (!stage_cfg && !out_cfg))
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_NNODES, &nnodes) != ESPANK_SUCCESS || nnodes == 0) {
        slurm_error("mpift: cannot tell the job id and node count of this step from Slurm");
        return -1;
    }
    if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS) {
        slurm_error("mpift: cannot tell the step id of this srun from Slurm");
        return -1;
    }
    if (ask_step_nodes(step) != 0)
        return -1;
    /* srun stops the launch on a negative return */
    if (stage_cfg && run_step(stage_cfg, 0) != 0)
        return -1;
    step_started = 1;
    return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    int rc = 0;

    (void)sp;
    (void)ac;
    (void)av;
    if (spank_context() == S_CTX_LOCAL && out_cfg && step_started && !getenv(NESTED_VAR))
        rc = run_step(out_cfg, 1) == 0 ? 0 : -1;
    free(stage_cfg);
    free(out_cfg);
    free(launcher);
    free(srun_cmd);
    free(step_nodes);
    stage_cfg = out_cfg = launcher = srun_cmd = step_nodes = NULL;
    return rc;
}
