/* sink.c - verified, atomic writes (see sink.h for the contract). */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/zero.h"
#include "comm/status.h"
#include "engine/sink.h"
#include "engine/inject.h"

/*
 * The middle of a temporary name: random for this process (fixed at its
 * first sink from getrandom, its pid and the time), plus one per sink, so
 * no two sinks of any runs share a name.
 */
static uint64_t sink_id(void)
{
    static uint64_t base, seq;
    struct timespec ts;
    uint64_t r = 0;

    if (!base) {
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
            r = 0;
        clock_gettime(CLOCK_REALTIME, &ts);
        r ^= ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20);
        base = XXH3_64bits(&r, sizeof(r)) | 1;
    }
    return base + __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
}

/* The parts of a sink before its file: display name, final name, folder
 * (made).  MPIFT_OK or an error with why. */
static int sink_folder(struct mpift_sink *s, int rootfd, const char *root, const char *rel, char *why, size_t whylen)
{
    char parent[PATH_MAX], cause[MPIFT_WHY_MAX];
    int rc;

    memset(s, 0, sizeof(*s));
    s->dirfd = s->fd = -1;
    s->rec.fd = -1;
    snprintf(s->display, sizeof(s->display), "%s/%s", root, rel);
    rc = mpift_split_parent(rel, parent, sizeof(parent), s->name, sizeof(s->name));
    if (rc != MPIFT_OK) {
        snprintf(why, whylen, "%s: invalid destination path", s->display);
        return rc;
    }
    rc = mpift_dir_open(rootfd, parent, true, cause, sizeof(cause));
    if (rc < 0) {
        snprintf(why, whylen, "%s: cannot create its folder: %s", s->display, cause);
        return rc;
    }
    s->dirfd = rc;
    return MPIFT_OK;
}

/* The temporary s->tmp created (O_EXCL, never through a link) 0666 less
 * the umask, locked, then 0600 while it fills; s->new_mode set. */
static int sink_create(struct mpift_sink *s)
{
    struct stat st;

    s->fd = openat(s->dirfd, s->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    /* Held while it is written: a sweep leaves a locked temporary alone. */
    if (s->fd >= 0)
        flock(s->fd, LOCK_EX | LOCK_NB);
    if (s->fd < 0 || fstat(s->fd, &st) != 0 || fchmod(s->fd, 0600) != 0)
        return -1;
    s->new_mode = st.st_mode & 0777;
    return 0;
}

/* After the temporary: the hash state, or the sink undone. */
static int sink_ready(struct mpift_sink *s, enum mpift_wire_cksum kind, char *why, size_t whylen)
{
    if (kind == MPIFT_WIRE_CKSUM_NONE)
        return MPIFT_OK;
    s->hash = XXH3_createState();
    if (!s->hash || XXH3_64bits_reset(s->hash) != XXH_OK) {
        snprintf(why, whylen, "%s: out of memory", s->display);
        mpift_sink_abort(s);
        return MPIFT_ERR_NOMEM;
    }
    return MPIFT_OK;
}

static int sink_failed(struct mpift_sink *s, char *why, size_t whylen)
{
    snprintf(why, whylen, "%s: cannot create temporary file: %s", s->display, strerror(errno));
    if (s->fd >= 0) {
        close(s->fd);
        unlinkat(s->dirfd, s->tmp, 0);
        s->fd = -1;
    }
    mpift_record_close(&s->rec, s->dirfd, s->rec_name, 1);
    close(s->dirfd);
    s->dirfd = -1;
    XXH3_freeState(s->whole);   /* a keyed base copy's, made before its temporary */
    s->whole = NULL;
    return MPIFT_ERR_IO;
}

/* A temporary of this sink alone (s->tmp: a name no other sink of any
 * run takes), created.  0 or -1 with errno. */
static int sink_unique(struct mpift_sink *s, int rank)
{
    int tries, made = -1;

    for (tries = 0; tries < 4; tries++) {
        snprintf(s->tmp, sizeof(s->tmp), MPIFT_SINK_TMP_PREFIX "%016llx-%016llx-r%d" MPIFT_SINK_TMP_SUFFIX,
                 (unsigned long long)XXH3_64bits(s->name, strlen(s->name)), (unsigned long long)sink_id(), rank);
        if ((made = sink_create(s)) == 0 || errno != EEXIST || s->fd >= 0)
            break;
    }
    return made;
}

int mpift_sink_open(struct mpift_sink *s, int rootfd, const char *root, const char *rel, int rank,
                    enum mpift_wire_cksum kind, char *why, size_t whylen)
{
    int rc = sink_folder(s, rootfd, root, rel, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    /* A short temporary name (the final name may already be NAME_MAX
     * long), of this sink alone: never one another run may be writing.
     * Those of runs that died are swept (mpift_sink_sweep).  Created
     * 0666: the kernel takes the umask off at this moment, and atomically,
     * so the mode a new file gets is known without umask(0) then
     * umask(old) (between which any thread of a host embedding mpift
     * would create its files 0666).  Then 0600 while it fills, so no one
     * reads it half-written; commit gives it the mode it was created with. */
    if (sink_unique(s, rank) != 0)
        return sink_failed(s, why, whylen);
    return sink_ready(s, kind, why, whylen);
}

/*
 * The resume temporary's name, to be made anew: whatever is there (a dead
 * run's temporary not taken, a link planted) goes, unfollowed, unless a
 * live writer holds it (locked: another run whose dest root's lock did
 * not keep it out, docs/resume.md).  1: the name is free for this sink;
 * 0: it is another run's, left alone.
 */
static int take_resume_name(struct mpift_sink *s)
{
    int fd = openat(s->dirfd, s->tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), busy = 0;

    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0)
        busy = errno == EWOULDBLOCK;
    /* Unlinked while its lock is ours: no live writer loses its file. */
    if (!busy)
        unlinkat(s->dirfd, s->tmp, 0);
    if (fd >= 0)
        close(fd);
    return !busy;
}

/*
 * The resume temporary s->tmp made anew: 0; -1 with errno (the sink
 * fails); 1: the name is another live run's, or held by a file that stays
 * (another user's, in a sticky shared folder such as /tmp: not ours to
 * remove, and a name anyone can tell from the file's), so this copy must
 * take a name of its own, and keep no record (not resumable; that run's
 * record is beside its temporary).
 */
static int resume_tmp(struct mpift_sink *s)
{
    int busy = !take_resume_name(s), squat;

    if (!busy && sink_create(s) == 0)
        return 0;
    squat = !busy && s->fd < 0 && errno == EEXIST;
    if (!busy && !squat)
        return -1;
    mpift_log_verbose("%s: its resume temporary's name %s is %s: written under a name of its own, not resumable",
                      s->display, s->tmp, squat ? "held by a file this run cannot remove" : "another live run's");
    return 1;
}

int mpift_sink_open_base(struct mpift_sink *s, int rootfd, const char *root, const char *rel, int rank,
                         enum mpift_wire_cksum kind, const struct mpift_base_of *of, struct mpift_base *base,
                         int record, char *why, size_t whylen)
{
    int rc = sink_folder(s, rootfd, root, rel, why, whylen);
    uint64_t held_end;

    if (rc != MPIFT_OK)
        return rc;
    /* A base found for another version than METADATA's (the source was
     * rewritten since the plan): its chunk count, prefix and hashes are
     * not this version's, and nothing of it is used.  Let go here, its
     * lock with it, so the resume name is made anew below. */
    if (base && base->kind != MPIFT_BASE_NONE && !mpift_base_for(base, of)) {
        mpift_log_verbose("%s: the source changed since what this node holds of it was found (now %llu bytes): "
                          "not used, the file comes whole", s->display, (unsigned long long)of->size);
        mpift_base_free(base);
    }
    mpift_base_names(s->name, rank, s->tmp, s->rec_name);
    s->chunk = of->chunk;
    s->base = base && base->kind != MPIFT_BASE_NONE ? base : NULL;
    if (s->base && base->keyed && (!(s->whole = XXH3_createState()) || XXH3_128bits_reset(s->whole) != XXH_OK))
        s->base = NULL;   /* no memory to hold it to its key: nothing taken from the base (its KEEP frames drop it) */
    if (s->whole)
        memcpy(s->key, base->key, sizeof(s->key));
    if (s->base && base->kind == MPIFT_BASE_RESUME && base->fd >= 0) {
        /* The killed run's temporary, locked since it was found: what
         * lies past its last chunk held is not trusted, and goes. */
        s->fd = base->fd;
        base->fd = -1;
        s->new_mode = base->new_mode ? base->new_mode : 0600;
        for (held_end = base->nchunks; held_end > 0 && !mpift_base_has(base, held_end - 1, base->hash[held_end - 1]);)
            held_end--;
        s->end = held_end * of->chunk < of->size ? held_end * of->chunk : of->size;
        if (ftruncate(s->fd, (off_t)s->end) != 0)
            return sink_failed(s, why, whylen);
    } else if ((rc = resume_tmp(s)) != 0) {
        if (rc < 0)
            return sink_failed(s, why, whylen);
        s->rec_name[0] = '\0';
        if (sink_unique(s, rank) != 0)
            return sink_failed(s, why, whylen);
        return sink_ready(s, kind, why, whylen);
    }
    /* A copy made over an older version keeps no record: killed, the
     * next run finds that version again (its syncs would cost more than
     * the copy). */
    if (!s->base || s->base->kind != MPIFT_BASE_DELTA) {
        mpift_record_start(&s->rec, s->dirfd, s->name, record ? s->rec_name : NULL, of, base, s->new_mode);
    } else {
        unlinkat(s->dirfd, s->rec_name, 0);
        mpift_record_start(&s->rec, s->dirfd, s->name, NULL, of, base, s->new_mode);   /* hashes to keep */
    }
    return sink_ready(s, kind, why, whylen);
}

/*
 * Fault injection for the test suite: MPIFT_TEST_ENOSPC=RANK:BYTES makes
 * every write of rank RANK fail with ENOSPC once it has written BYTES, as
 * a node-local disk that fills up mid-run would.
 */
static int disk_full(int rank, size_t len)
{
    static long long left = -2;

    if (left == -2)
        left = mpift_fault_budget("MPIFT_TEST_ENOSPC", rank);
    if (left < 0)
        return 0;
    if ((long long)len > left) {
        left = 0;
        return 1;
    }
    left -= (long long)len;
    return 0;
}

/* Write len bytes at off, unhashed (after a write error: nothing). */
static void put(struct mpift_sink *s, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;
    size_t done = 0;

    if (!s->err && disk_full(mpift_log_rank(), len))
        s->err = ENOSPC;
    while (!s->err && done < len) {
        ssize_t n = pwrite(s->fd, p + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
        } else {
            done += (size_t)n;
        }
    }
    if (off + len > s->end)
        s->end = off + len;
}

/* Does a resumable copy's record take len bytes at off?  Only whole
 * chunks count (a test fault's split write does not). */
static bool recorded(const struct mpift_sink *s, size_t len, uint64_t off)
{
    const struct mpift_base_of *of = &s->rec.of;

    return s->rec.hash && !s->err && off % of->chunk == 0 && (len == of->chunk || off + len == of->size);
}

/* The record: chunk `off` (len bytes, whose XXH3-64 is h) is written. */
static void note(struct mpift_sink *s, size_t len, uint64_t off, uint64_t h)
{
    if (recorded(s, len, off))
        mpift_record_chunk(&s->rec, s->fd, off / s->rec.of.chunk, h, len);
}

bool mpift_sink_wants_hash(const struct mpift_sink *s, size_t len, uint64_t off)
{
    return (s->hash && len > 0) || recorded(s, len, off);
}

/* Is a keyed copy over a base (s->whole) its key's content?  1 when none. */
static int is_key(struct mpift_sink *s)
{
    XXH128_canonical_t c;

    if (s->whole)
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s->whole));
    return !s->whole || memcmp(c.digest, s->key, sizeof(s->key)) == 0;
}

void mpift_sink_write_hashed(struct mpift_sink *s, const void *buf, size_t len, uint64_t off, uint64_t h)
{
    if (s->whole)
        XXH3_128bits_update(s->whole, buf, len);
    if (s->hash && len > 0)
        mpift_hash_chunk(s->hash, h);
    s->received += len;
    put(s, buf, len, off);
    note(s, len, off, h);
}

/* The chunk is hashed once, here: for the checksum and the record both. */
void mpift_sink_write(struct mpift_sink *s, const void *buf, size_t len, uint64_t off)
{
    mpift_sink_write_hashed(s, buf, len, off, mpift_sink_wants_hash(s, len, off) ? XXH3_64bits(buf, len) : 0);
}

/* len zeros written at off (where no hole can be punched). */
static void put_zeros(struct mpift_sink *s, uint64_t len, uint64_t off)
{
    static const unsigned char zeros[64 << 10];
    uint64_t n;

    for (; len > 0 && !s->err; len -= n, off += n) {
        n = len < sizeof(zeros) ? len : sizeof(zeros);
        put(s, zeros, (size_t)n, off);
    }
}

/* len zeros at off, unhashed, left as a hole. */
static void put_hole(struct mpift_sink *s, uint64_t len, uint64_t off)
{
    uint64_t held = s->end > off ? (s->end < off + len ? s->end : off + len) - off : 0;

    if (s->err)
        return;
    /* A resumed temporary may already hold bytes there (chunks past this
     * one, held from the killed run): they become a hole, and the copy
     * never shrinks.  A new copy ends at off: extending it leaves the
     * hole, and nothing is written (no block allocated). */
    if (held && fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)held) != 0)
        put_zeros(s, held, off);
    if (!s->err && off + len > s->end) {
        if (ftruncate(s->fd, (off_t)(off + len)) != 0)
            s->err = errno;
        s->end = off + len;
    }
}

void mpift_sink_hole(struct mpift_sink *s, const unsigned char *zeros, size_t len, uint64_t off)
{
    uint64_t h = mpift_sink_wants_hash(s, len, off) ? XXH3_64bits(zeros, len) : 0;

    if (s->hash && len > 0)
        mpift_hash_chunk(s->hash, h);
    if (s->whole)
        mpift_zeros_update(s->whole, len, 1);
    s->received += len;
    put_hole(s, len, off);
    note(s, len, off, h);
}

/*
 * A kept chunk of a delta shared with the older version where the file
 * system can (XFS, btrfs: FICLONERANGE), so no byte is written: 1, and
 * the caller then reads the chunk back from the copy itself, so what it
 * checks and hashes is what the copy holds.  0: write it (ext4 and tmpfs
 * share no blocks; a chunk size or a last chunk the file system cannot
 * clone).
 */
static int clone_chunk(struct mpift_sink *s, int from, size_t len, uint64_t off)
{
    struct file_clone_range r = {.src_fd = from, .src_offset = off, .src_length = len, .dest_offset = off};

    if (s->no_clone || s->err)
        return 0;
    if (ioctl(s->fd, FICLONERANGE, &r) == 0) {
        if (off + len > s->end)
            s->end = off + len;
        return 1;
    }
    if (errno != EINVAL)
        s->no_clone = 1;   /* not on this file system: not tried again */
    return 0;
}

int mpift_sink_keep(struct mpift_sink *s, uint64_t i, uint64_t h, size_t len, uint64_t off)
{
    struct mpift_base *b = s->base;
    int fd, cloned = 0;
    ssize_t n;
    size_t done = 0;

    if (!b || !mpift_base_has(b, i, h) || s->err)
        return -1;
    /* One chunk's room: the chunk size is the base's. */
    if (!s->scratch && !(s->scratch = malloc(s->chunk > len ? s->chunk : len)))
        return -1;
    fd = b->kind == MPIFT_BASE_RESUME ? s->fd : b->fd;
    if (b->kind == MPIFT_BASE_DELTA && (cloned = clone_chunk(s, b->fd, len, off)))
        fd = s->fd;
    while (done < len) {
        n = pread(fd, s->scratch + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    /* Read again now: what the base held when it was offered may have
     * changed since, and only the source's bytes are taken. */
    if (XXH3_64bits(s->scratch, len) != h && !mpift_inject_collide())
        return -1;
    if (s->whole)
        XXH3_128bits_update(s->whole, s->scratch, len);
    if (s->hash && len > 0)
        mpift_hash_chunk(s->hash, h);
    s->received += len;
    if (b->kind == MPIFT_BASE_DELTA) {
        if (cloned)
            ;   /* in the copy already, checked there */
        else if (len > 1 && mpift_all_zero(s->scratch, len))
            put_hole(s, len, off);
        else
            put(s, s->scratch, len, off);
        s->delta_saved += len;
    } else {
        s->resumed += len;
    }
    note(s, len, off, h);
    return 0;
}

/* A resumable copy's record: the whole chunks of extent [off, off+len)
 * are written (as a hole: no data to sync, so they add nothing to what
 * the next sync waits for). */
static void note_extent(struct mpift_sink *s, uint64_t off, uint64_t len)
{
    const struct mpift_base_of *of = &s->rec.of;
    uint64_t c, clen, h = 0;

    if (!s->rec.hash || s->err || off % of->chunk)
        return;
    for (c = off; c < off + len && c < of->size; c += of->chunk) {
        clen = of->size - c < of->chunk ? of->size - c : of->chunk;
        if (c + clen > off + len)
            break;
        if (!h || clen != of->chunk)
            h = mpift_zero_hash(clen);
        if (!h)
            return;
        mpift_record_chunk(&s->rec, s->fd, c / of->chunk, h, 0);
    }
}

void mpift_sink_extent(struct mpift_sink *s, uint64_t off, uint64_t len)
{
    if (s->hash)
        mpift_hash_hole(s->hash, off, len);
    if (s->whole)
        mpift_zeros_update(s->whole, len, 1);
    s->received += len;
    put_hole(s, len, off);
    note_extent(s, off, len);
}

void mpift_sink_chunk(struct mpift_sink *s, const unsigned char *buf, size_t len, uint64_t off, int first)
{
    /* Zeros that came as they are (a striped route's stripe of a hole, a
     * batch) land as a hole too. */
    if (len > 1 && mpift_all_zero(buf, len)) {
        mpift_sink_hole(s, buf, len, off);
        return;
    }
    if (first && len > 0 && mpift_inject_corrupt_file()) {
        /* The buffer may still be in flight to a child: alter a copy. */
        unsigned char bad = (unsigned char)(buf[0] ^ 0xff);
        mpift_sink_write(s, &bad, 1, off);
        mpift_sink_write(s, buf + 1, len - 1, off + 1);
        return;
    }
    mpift_sink_write(s, buf, len, off);
}

static void sink_close(struct mpift_sink *s, int remove_record)
{
    mpift_record_close(&s->rec, s->dirfd, s->rec_name, remove_record);
    free(s->scratch);
    s->scratch = NULL;
    if (s->fd >= 0)
        close(s->fd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    XXH3_freeState(s->hash);
    XXH3_freeState(s->whole);
    s->fd = s->dirfd = -1;
    s->hash = NULL;
    s->whole = NULL;
}

/* Is s->tmp in its folder still this sink's file (s->fd)?  Another run
 * may have replaced the name (one whose dest root's lock did not keep
 * it out): then nothing may be done to it by name. */
static int own_tmp(const struct mpift_sink *s)
{
    struct stat at, mine;

    return s->dirfd >= 0 && s->fd >= 0 && fstatat(s->dirfd, s->tmp, &at, AT_SYMLINK_NOFOLLOW) == 0 &&
           fstat(s->fd, &mine) == 0 && at.st_dev == mine.st_dev && at.st_ino == mine.st_ino;
}

void mpift_sink_abort(struct mpift_sink *s)
{
    if (own_tmp(s))
        unlinkat(s->dirfd, s->tmp, 0);
    sink_close(s, 1);
}

/* This process's RLIMIT_FSIZE, for a message ("2097152 bytes"). */
static const char *fsize_limit(char *buf, size_t len)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        snprintf(buf, len, "unknown");
    else
        snprintf(buf, len, "%llu bytes", (unsigned long long)rl.rlim_cur);
    return buf;
}

int mpift_sink_commit(struct mpift_sink *s, const struct mpift_expect *e, bool preserve, bool do_fsync, char *why,
                      size_t whylen)
{
    struct timespec ts[2];
    struct stat st;
    uint64_t digest = s->hash ? XXH3_64bits_digest(s->hash) : 0;
    char lim[32];
    int rc = MPIFT_ERR_IO;

    if (s->err == EFBIG) {
        snprintf(why, whylen, "%s: larger than this rank's file size limit (ulimit -f: %s): %s; raise the limit "
                 "where the job starts (ulimit -f unlimited)", s->display, fsize_limit(lim, sizeof(lim)),
                 strerror(s->err));
        goto fail;
    }
    if (s->err) {
        snprintf(why, whylen, "%s: %s", s->display, strerror(s->err));
        goto fail;
    }
    if (fstat(s->fd, &st) != 0 || (uint64_t)st.st_size != e->size || s->received != e->size ||
        e->sent != e->size) {
        snprintf(why, whylen, "%s: size mismatch (expected %llu bytes, have %llu)", s->display,
                 (unsigned long long)e->size, (unsigned long long)st.st_size);
        rc = MPIFT_ERR_CHECKSUM;
        goto fail;
    }
    /* No hash of ours (a sender that says xxh3 to a rank told "none")
     * cannot match: the copy is not trusted. */
    if (e->cksum == MPIFT_WIRE_CKSUM_XXH3 && (!s->hash || digest != e->digest)) {
        snprintf(why, whylen, "%s: checksum mismatch (xxh3 %016llx, expected %016llx)", s->display,
                 (unsigned long long)digest, (unsigned long long)e->digest);
        rc = MPIFT_ERR_CHECKSUM;
        goto fail;
    }
    if (!is_key(s)) {   /* last: only a copy that passed every other check may collide */
        snprintf(why, whylen, "%s: its content is not its key (XXH3-128)%s; the copy was dropped", s->display,
                 e->cksum == MPIFT_WIRE_CKSUM_XXH3 ? ", though every chunk's XXH3-64 agreed: a chunk taken from "
                 "what this node held collides with the source's" : " (transfer.checksum none: nothing else checked it)");
        rc = MPIFT_ERR_CHECKSUM;
        goto fail;
    }
    /* Mode: the source's when preserving, else what a new file got when
     * it was created (0666 less the umask: see mpift_sink_open) with
     * nothing the source lacks: a copy is never more readable than what it
     * copies (root gathering a 0640 file must not leave it 0644). */
    if (fchmod(s->fd, preserve ? e->mode & 07777 : s->new_mode & e->mode) != 0)
        goto errno_fail;
    ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime_sec;
    ts[0].tv_nsec = ts[1].tv_nsec = (long)e->mtime_nsec;
    if (futimens(s->fd, ts) != 0)
        goto errno_fail;
    if (do_fsync && fsync(s->fd) != 0)
        goto errno_fail;
    /* By name: only while the name is still this copy's file. */
    if (!own_tmp(s)) {
        snprintf(why, whylen, "%s: its temporary file %s was removed or replaced by another run writing into this "
                 "folder; run the stage again once that run has ended", s->display, s->tmp);
        goto fail;
    }
    if (renameat(s->dirfd, s->tmp, s->dirfd, s->name) != 0)
        goto errno_fail;
    /* After the rename, which may move its ctime: the identity verified. */
    if (fstat(s->fd, &s->committed) != 0)
        s->committed.st_ino = 0;
    /* Its chunk hashes (a large copy, hashed whole and in order) go to
     * the caller, for the node's cache: never beside the copy, where a
     * dest must hold exactly what was staged. */
    if (s->rec.hash && s->rec.done == s->rec.nchunks) {
        s->kept = s->rec.hash;
        s->kept_n = s->rec.nchunks;
        s->rec.hash = NULL;
    }
    if (do_fsync)
        fsync(s->dirfd);
    sink_close(s, 1);
    return MPIFT_OK;

errno_fail:
    snprintf(why, whylen, "%s: %s", s->display, strerror(errno));
fail:
    mpift_sink_abort(s);
    return rc;
}
