/*
 * slurm.h - what the launcher tells a Slurm user before the job starts.
 */
#ifndef MPIFT_LAUNCHER_SLURM_H
#define MPIFT_LAUNCHER_SLURM_H

#include <stdio.h>

/*
 * mpift_slurm_warn_kill_on_bad_exit - when this process is a task of an
 * srun step (SLURM_STEP_ID) and kill-on-bad-exit is in effect nowhere
 * mpift can see it (SLURM_KILL_BAD_EXIT in the environment, KillOnBadExit
 * in slurm.conf), write one warning to `to` (task 0 only) and return 1;
 * else return 0.
 */
int mpift_slurm_warn_kill_on_bad_exit(FILE *to);

/*
 * mpift_slurm_keep_exit_status - call once the run's status is known and
 * is a failure, before MPI is finalized.  Under srun with kill-on-bad-exit,
 * the first rank to exit non-zero makes Slurm send SIGTERM to the others,
 * which are still finalizing: the step would end with 143 instead of the
 * status every rank agreed on (1, 2 or 3).  Inside an srun step it
 * ignores SIGTERM from here to the exit (KillWait's SIGKILL still ends a
 * rank that hangs); elsewhere it does nothing.
 */
void mpift_slurm_keep_exit_status(void);

#endif
