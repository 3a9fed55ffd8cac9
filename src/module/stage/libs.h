/*
 * libs.h - executables with their libraries (an entry's libs = true,
 * mpift-stage --with-libs): rank 0 finds each program's shared-library
 * closure as the loader would (elf/resolve.h) and plans the libraries
 * into a folder beside it, "<program>.libs/", each under its real file's
 * name, with a symbolic link for every other name the closure asks for
 * (the DT_NEEDED "libfoo.so.1" -> "libfoo.so.1.2.3").
 *
 * Libraries outside the entry's source root are read too: beneath "/",
 * from their resolved paths, and only as the very file planned (device
 * and inode: engine/file.h's `beyond`).  They are the program's
 * dependencies, named by its own ELF headers and the job's
 * LD_LIBRARY_PATH; a user who may read them may stage them.
 *
 * A node never keeps a program without its libraries: a set (program,
 * libraries, links) is settled on each writer once every round is over
 * (mpift_libs_settle).  Libraries and links are committed first, each
 * atomically as any copy; if any of them failed there, the program's
 * copy is removed from that node and counts as failed, naming the
 * library (the libraries that did arrive stay: without the program they
 * are never loaded).  While the run goes on a program may stand before
 * its libraries; nothing runs it before mpift-stage returns.
 */
#ifndef MPIFT_LIBS_H
#define MPIFT_LIBS_H

#include <mpi.h>
#include <stdio.h>

#include "comm/watch.h"
#include "config/config.h"
#include "stage/plan.h"
#include "wire/libset.h"

/* The suffix of a program's folder of libraries. */
#define MPIFT_LIBS_SUFFIX ".libs"

/* Does any stage_in entry ask for libraries?  (The same on every rank:
 * every rank parses rank 0's configuration.) */
int mpift_libs_wanted(const struct mpift_config *cfg);

/*
 * mpift_libs_plan - rank 0, after mpift_plan_build: each file an entry
 * with libs planned itself (its src says which entry, and whether the
 * entry named it) gets its closure planned and a set in libs when it is
 * a program: a file it names that is a dynamically linked ELF, an ELF
 * with an interpreter of a glob or folder; any other file goes as it is.
 * A program whose closure cannot be had (a library missing: named with
 * who needs it; not an ELF of the kind read; two libraries of one name;
 * its folder of libraries planned from another source) is reported,
 * taken out of the plan and counted in nerrors.
 * Returns MPIFT_OK or MPIFT_ERR_NOMEM.
 */
int mpift_libs_plan(const struct mpift_config *cfg, const char *root, struct mpift_plan *plan,
                    struct mpift_libs *libs);

/* Collective: rank 0's sets to every rank (wire/libset.h).  MPIFT_OK,
 * _ERR_MPI, _ERR_NOMEM, _ERR_RANGE (the same on every rank but for MPI
 * errors), _ERR_PROTO (a rank that could not read them: libs empty). */
int mpift_libs_share(struct mpift_libs *libs, MPI_Comm comm, struct mpift_watch *w);

struct mpift_in_run;

/* A writer, after the last round or on any error that ended the rounds:
 * each set's links made, or its program removed (above).  Local: no
 * message. */
void mpift_libs_settle(struct mpift_in_run *r);

/* Collective, after settling: rank 0 says which LD_LIBRARY_PATH runs
 * each program, and how many of its copies failed (then: where it
 * landed).  MPIFT_OK or _ERR_MPI. */
int mpift_libs_tell(struct mpift_in_run *r);

/* --report: ",\n  \"libraries\": [...]" (docs/report.schema.json). */
void mpift_libs_report(FILE *f, const struct mpift_libs *libs, const char *dest_root);

#endif
