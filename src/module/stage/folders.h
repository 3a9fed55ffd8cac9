/*
 * folders.h - the folders a writer's copies go into during one run (a
 * stage-in writer under its dest root, stage-out's rank 0 under collect),
 * each listed once with its ancestors: swept of dead runs' temporary
 * files, checked before anything moves (can each be made, or written
 * in?), counted into the inodes preflight asks for, made once preflight
 * agreed, and given their kept modes after their files are in.
 *
 *   add every file and folder; done; check (preflight); make; modes; free
 */
#ifndef MPIFT_FOLDERS_H
#define MPIFT_FOLDERS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/file.h"
#include "stage/preflight.h"

struct mpift_folder {
    const char *path;     /* its first len bytes: a prefix of a plan's dest name (not owned) */
    uint32_t len;
    uint32_t mode;        /* preserve: the source folder's permission bits */
    uint8_t dir;          /* a folder of the plan: made even when empty */
    uint8_t preserve;     /* its mode is kept: applied once its files are in */
    uint8_t needed;       /* a file is to be written in it */
};

struct mpift_folders {
    struct mpift_folder *v;
    size_t n, cap;
    int oom;
};

/* List the folder of f (a folder of the plan) or the folder f goes into
 * (a file), with their ancestors; f must outlive the list.  Plans are
 * sorted, so neighbours share folders and are listed once already. */
void mpift_folders_add(struct mpift_folders *fl, const struct mpift_pfile *f);

/* Sort and merge the list.  MPIFT_OK or MPIFT_ERR_NOMEM (an add failed). */
int mpift_folders_done(struct mpift_folders *fl);

/* After done: file `dest` (listed) is to be written, so its folder must
 * take it. */
void mpift_folders_need(struct mpift_folders *fl, const char *dest);

/*
 * mpift_folders_check - preflight, below rootfd (`root` names it): with
 * `sweep` (the run holds the root's lock), remove dead runs' temporary
 * files from the root and every listed folder that exists; count the
 * folders still to be made into rm's inodes; and check that each can be
 * made (write and search permission in its nearest existing folder) or,
 * when it exists and a file is to be written in it, written in (a
 * kept-mode folder of this user's will be opened up for the run: not a
 * refusal).  0, or -1 with the first refusal
 * in why: "cannot create folder ROOT/a/b: ROOT/a is not writable (cause):
 * nothing was VERB; fix its permissions or point SETTING elsewhere".
 */
int mpift_folders_check(const struct mpift_folders *fl, int rootfd, const char *root, int sweep,
                        struct mpift_room *rm, const char *verb, const char *setting, char *why, size_t whylen);

/* Make the plan's folders (a failure is logged: the files below it fail
 * with their own message); a kept-mode folder stays writable by its owner
 * until mpift_folders_modes. */
void mpift_folders_make(const struct mpift_folders *fl, int rootfd, const char *root);

/* Give the kept-mode folders their modes, deepest first, once every file
 * is in (a read-only folder made first could not take its files). */
void mpift_folders_modes(const struct mpift_folders *fl, int rootfd);

void mpift_folders_free(struct mpift_folders *fl);

#endif
