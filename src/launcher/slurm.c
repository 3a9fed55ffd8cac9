/*
 * slurm.c - the launcher under srun: its advice on kill-on-bad-exit, and
 * an exit status that survives it.
 *
 * Under srun a task that dies does not end its step unless kill-on-bad-exit
 * is on: the other ranks then wait forever for the dead one (Debian's Open
 * MPI 4.1, started by srun --mpi=pmix, dies in MPI_Init in a few % of
 * launches).  srun's own --kill-on-bad-exit option never reaches the tasks'
 * environment, so what a task can see is: SLURM_KILL_BAD_EXIT, the variable
 * srun reads in place of the option (the tasks inherit srun's
 * environment), and the cluster's KillOnBadExit in slurm.conf.  Neither in
 * effect: a warning, before MPI starts (it can be what never returns).
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm.h"

#define PROG "mpift-stage"

/* Slurm's default configuration file when SLURM_CONF is not set. */
#ifndef MPIFT_SLURM_CONF_DEFAULT
#define MPIFT_SLURM_CONF_DEFAULT "/etc/slurm/slurm.conf"
#endif

/* KillOnBadExit's value in the slurm.conf at `path` (keys are case-blind;
 * the last setting wins, as in Slurm), or -1 when unread or unset. */
static int conf_kill_on_bad_exit(const char *path)
{
    static const char key[] = "KillOnBadExit";
    char line[4096], *p;
    int value = -1;
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (strncasecmp(p, key, sizeof(key) - 1) != 0)
            continue;
        p += sizeof(key) - 1;
        while (isspace((unsigned char)*p))
            p++;
        if (*p++ != '=')
            continue;
        value = atoi(p) != 0;
    }
    fclose(f);
    return value;
}

/* Started by an MPI launcher inside the allocation (Open MPI's mpirun, whose
 * orteds srun starts as a step; MPICH's hydra): a dead rank ends that job,
 * and SLURM_STEP_ID is the launcher's daemons' step, not ours. */
static int under_mpi_launcher(void)
{
    return getenv("OMPI_COMM_WORLD_RANK") || getenv("OMPI_MCA_orte_hnp_uri") || getenv("HYDI_CONTROL_FD");
}

int mpift_slurm_warn_kill_on_bad_exit(FILE *to)
{
    const char *step = getenv("SLURM_STEP_ID"), *job = getenv("SLURM_JOB_ID");
    const char *env = getenv("SLURM_KILL_BAD_EXIT"), *conf = getenv("SLURM_CONF");
    const char *task = getenv("SLURM_PROCID");
    int first;

    if (!step || !*step || !job || !*job || under_mpi_launcher())
        return 0; /* not a task of an srun step */
    first = !task || strcmp(task, "0") == 0; /* one warning per step, not one per rank */
    if (env && *env) {
        if (atoi(env) != 0)
            return 0;
        if (first)
            fprintf(to, PROG ": warning: SLURM_KILL_BAD_EXIT=%s: if one rank of this srun step (job %s, step %s) "
                    "dies, the others wait for it forever; set SLURM_KILL_BAD_EXIT=1\n", env, job, step);
        return 1;
    }
    if (conf_kill_on_bad_exit(conf && *conf ? conf : MPIFT_SLURM_CONF_DEFAULT) == 1)
        return 0;
    if (first)
        fprintf(to, PROG ": warning: no kill-on-bad-exit seen for this srun step (job %s, step %s): if one rank "
                "dies, the others wait for it forever.  Run srun --kill-on-bad-exit=1, or export "
                "SLURM_KILL_BAD_EXIT=1 before srun (the same, and visible here: srun's option does not "
                "reach the tasks), or set KillOnBadExit=1 in slurm.conf\n", job, step);
    return 1;
}

void mpift_slurm_keep_exit_status(void)
{
    const char *step = getenv("SLURM_STEP_ID");

    if (step && *step)
        signal(SIGTERM, SIG_IGN);
}
