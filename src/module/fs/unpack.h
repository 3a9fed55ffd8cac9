/*
 * unpack.h - an archive that arrived, unpacked into its folder: into a
 * temporary folder beside it first, then renamed into place.
 *
 * Every member is made beneath the temporary folder by descriptor: each
 * folder on the way opened with O_NOFOLLOW (a symbolic link an earlier
 * member made is never gone through: the archive is refused), each file
 * created O_EXCL|O_NOFOLLOW, each hard link made from a regular file this
 * archive made.  Names and types were judged already (fs/archive.h).
 * Folders are made 0700 and given their modes and mtimes once everything
 * is in (so a read-only folder of the archive still takes its files);
 * files get the archive's permission bits without setuid, setgid and
 * sticky, and its mtimes; owners are not restored (the files are the
 * user's who runs mpift).
 *
 * Then the folder is swapped in: renamed into place when there is none,
 * else exchanged with the old one (renameat2 RENAME_EXCHANGE; where the
 * file system cannot, the old one is moved aside first), and the old
 * tree removed.  Beside the folder a marker ".FOLDER.mpift-extract"
 * records which archive it came from (size and mtime, the identity mpift
 * gives every file) and what it holds.  The marker goes before the swap
 * and comes back after it: a run stopped between the two leaves no
 * marker, and the next run unpacks again.
 */
#ifndef MPIFT_UNPACK_H
#define MPIFT_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An archive as its marker records it, and what it unpacked into. */
struct mpift_unpack_id {
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t files;       /* regular files and hard links made */
    uint64_t bytes;       /* the regular files' sizes */
};

/*
 * mpift_unpack_current - does `folder` (a name in dirfd) hold what the
 * archive of id's size and mtime unpacked into: a folder, not a link,
 * and a marker beside it that says so?  Fills got (files, bytes) from
 * the marker when it does.
 */
bool mpift_unpack_current(int dirfd, const char *folder, const struct mpift_unpack_id *id,
                          struct mpift_unpack_id *got);

/*
 * mpift_unpack - unpack the archive `archive` (a name in dirfd) into the
 * folder `folder` beside it, as above, and record id in the marker
 * (files and bytes are counted into id).  `display` names the archive in
 * messages; tick(arg), when not NULL, is called now and then.  With
 * `swept` (the caller holds its root's lock: no other run writes there)
 * a dead run's temporaries of this folder go first: ".FOLDER.mpift-*.tmp",
 * a tree half unpacked or an old one not yet removed.  The
 * archive itself is left where it is.  MPIFT_OK; MPIFT_ERR_ESCAPE (a
 * member refused: why names it), MPIFT_ERR_IO (why names the file and
 * the cause), MPIFT_ERR_NOMEM.  On failure nothing is left of the new
 * tree and the old folder is as it was.
 */
int mpift_unpack(int dirfd, const char *archive, const char *folder, const char *display, bool swept,
                 struct mpift_unpack_id *id, void (*tick)(void *), void *arg, char *why, size_t whylen);

#endif
