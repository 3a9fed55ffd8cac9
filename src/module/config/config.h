/*
 * config.h - mpift's configuration, loaded from a libconfig file: the one
 * interface of config/ (load.c, sets.c, validate.c, entries.c, keys.c,
 * messages.c share loader.h among themselves; size.c and template.c have
 * their own jobs).
 *
 * libconfig is used only inside config/: the rest of the module sees this
 * struct.  All strings are owned by the struct (copied out of libconfig).
 */
#ifndef MPIFT_CONFIG_H
#define MPIFT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mpift_policy { MPIFT_POLICY_DIRECT, MPIFT_POLICY_PIPELINE, MPIFT_POLICY_TREE };
enum mpift_copies { MPIFT_COPIES_PER_NODE, MPIFT_COPIES_PER_RANK, MPIFT_COPIES_ONCE };
/*
 * transfer.checksum: the configuration's choice ("xxh3", "none": keys.c
 * spells them in this order, so do not renumber).  It is not a wire value:
 * what a message carries is wire/proto.h's enum mpift_wire_cksum (numbered
 * for the wire, none = 0), made from this one where a stream starts.
 */
enum mpift_cksum { MPIFT_CKSUM_XXH3, MPIFT_CKSUM_NONE };
enum mpift_to { MPIFT_TO_NODE, MPIFT_TO_RANK };
/* paths.source_shared: may the node leaders read the source themselves,
 * each a stripe of a file (stage/source_shared.h)?  auto: where every leader sees
 * the same file; yes: always (a leader that cannot read it fails the file);
 * no: never.  keys.c spells them in this order. */
enum mpift_src_shared { MPIFT_SHARED_AUTO, MPIFT_SHARED_YES, MPIFT_SHARED_NO };
/* transfer.compress ("auto", "lz4", "zstd", "none", in keys.c's order):
 * how a file's chunks travel (engine/compress.h).  Not a wire value
 * either: each compressed chunk names its own codec. */
enum mpift_compress { MPIFT_COMPRESS_AUTO, MPIFT_COMPRESS_LZ4, MPIFT_COMPRESS_ZSTD, MPIFT_COMPRESS_NONE };

/* Limits enforced by validation. */
#define MPIFT_CHUNK_MIN ((uint64_t)4096)
#define MPIFT_CHUNK_MAX ((uint64_t)1 << 30)   /* fits an int count for MPI */
#define MPIFT_WINDOW_MAX 64
#define MPIFT_RETRIES_MAX 100
#define MPIFT_FANOUT_MAX 64
#define MPIFT_STREAMS_MAX 64
#define MPIFT_TIMEOUT_MAX 86400               /* transfer.timeout: a day without progress */
/* cache.max_size: at least a chunk's worth of room (a smaller cache
 * could hold next to nothing), its default when unset (validate.c). */
#define MPIFT_CACHE_SIZE_MIN ((uint64_t)1 << 20)
#define MPIFT_CACHE_SIZE_DEFAULT ((uint64_t)20 << 30)
/* transfer.timeout when the file does not set it (validate.c), and the
 * bound on the waits of mpift_open before the file is read. */
#define MPIFT_TIMEOUT_DEFAULT 60

/* One stage_in / stage_out list element. */
struct mpift_entry {
    char *src;        /* pattern or path, relative to its root */
    char *dest;       /* relative to the dest root; "" = the root itself */
    bool recursive;
    bool preserve;
    enum mpift_to to;
    bool extract;     /* each file an archive, unpacked on arrival (config/extract.c) */
    int line;         /* line in the config file (0 if unknown) */
    /* Executables with their libraries (entry_libs.c, stage/libs.h):
     * libs: stage each program's shared-library closure beside it;
     * libs_system: the system's libraries too; extra_libs: what the
     * program dlopen()s (names searched as it would, or paths). */
    bool libs;
    bool libs_system;
    char **extra_libs;
    size_t n_extra_libs;
};

struct mpift_config {
    char *file;        /* the config file's path as given */
    char *dir;         /* its folder, absolute: relative paths.* resolve here */
    int version;

    /* paths (templates, unexpanded; source/collect made absolute against dir) */
    char *source;
    char *dest;
    char *collect;
    enum mpift_src_shared source_shared;

    /* transfer */
    uint64_t chunk_size;
    int window;
    enum mpift_cksum checksum;
    enum mpift_compress compress;
    int retries;
    bool fsync;
    bool abort_on_error;   /* on_error = "abort": stop at the first failed file */
    int timeout;           /* seconds a rank waits without progress before it stops the job; 0: never */

    /* workers */
    enum mpift_policy policy;
    int fanout;
    int max_streams;
    enum mpift_copies copies;

    /* cache (validate.c): the node-local folder of contents kept across
     * jobs, a template of %h, %n, %u (NULL: no cache, and nothing of it
     * runs); and how many bytes it may hold before the least recently
     * used entries go. */
    char *cache_dir;
    uint64_t cache_max_size;

    struct mpift_entry *in;
    size_t n_in;
    struct mpift_entry *out;
    size_t n_out;
};

/* Room for mpift_config_load's error lines: many errors, each naming a
 * file, a line, a key and a cause. */
#define MPIFT_CONFIG_ERR_MAX 8192

/*
 * mpift_config_load - parse and validate a configuration.
 *
 * path     the file's name, used in messages and to resolve relative paths.
 * text     the file's contents, or what mpift_config_gather made of them;
 *          NULL means read `path`.  @include lines are resolved in
 *          `path`'s folder (mpift_config_gather's text has none left).
 * sets     "KEY=VALUE" overrides (e.g. "transfer.chunk_size=8M"), applied
 *          before validation; nsets of them.
 * out      on success, a new config the caller frees with mpift_config_free.
 * why      on failure, one or more lines "FILE:LINE: KEY: cause" (or
 *          "--set KEY=VALUE: cause"), NUL-terminated, truncated to whylen.
 *
 * Returns MPIFT_OK; MPIFT_ERR_CONFIG (syntax error, unknown key, wrong type,
 * missing required key), MPIFT_ERR_RANGE (value out of range), MPIFT_ERR_USAGE
 * (malformed --set), MPIFT_ERR_IO (file unreadable), MPIFT_ERR_NOMEM.
 */
int mpift_config_load(const char *path, const char *text, const char *const *sets,
                      size_t nsets, struct mpift_config **out, char *why, size_t whylen);

/*
 * mpift_config_read - read a whole configuration file (at most 16 MiB) into
 * a new NUL-terminated buffer the caller frees; *len (if not NULL) gets its
 * length.  Returns MPIFT_OK, MPIFT_ERR_IO (errno kept) or MPIFT_ERR_NOMEM.
 */
int mpift_config_read(const char *path, char **text, size_t *len);

/*
 * mpift_config_gather - read the configuration file `path` and every file
 * it @includes, into one new NUL-terminated text (*len bytes) with no
 * @include left, which the caller frees.  Rank 0 broadcasts it: the
 * included files are read once, on rank 0, and every rank parses the same
 * bytes whatever its own file system holds; comments in it keep where each
 * line came from, so messages still name the right file and line.
 * Returns MPIFT_OK; MPIFT_ERR_CONFIG (the file or an included one cannot
 * be read, an @include is malformed or nested too deep: why says which
 * file, line and why) or MPIFT_ERR_NOMEM.
 */
int mpift_config_gather(const char *path, char **text, size_t *len, char *why, size_t whylen);

/*
 * mpift_config_args_differ - do two texts of mpift-stage's SRC... DEST
 * form (mine: this rank's own; first: rank 0's, which every rank parses)
 * come from different options?  Compared by the arguments their markers
 * name (include.c), but for SRC and PATTERN: sources are made absolute
 * and read on rank 0 alone.  0 when the same; 1 with why naming the first
 * argument that differs ("rank 0 has '--copies per-rank', this rank has
 * none"), `rank` being this rank's number.
 */
int mpift_config_args_differ(const char *mine, const char *first, int rank, char *why, size_t len);

struct mpift_options;

/*
 * mpift_config_text - the configuration's text the caller gave in
 * opts->config_text (mpift-stage's SRC... DEST form), or NULL when its
 * struct predates that field or left it NULL: then read opts->config_path.
 */
const char *mpift_config_text(const struct mpift_options *opts);

/* Did the launcher refuse this rank's command line (opts->refused, for a
 * caller whose struct has the field)? */
int mpift_config_refused(const struct mpift_options *opts);

/* Free a config and set *cfg to NULL; NULL-safe. */
void mpift_config_free(struct mpift_config **cfg);

/*
 * mpift_parse_size - "4096", "4K", "4M", "1G", "2T" (powers of 1024; an
 * optional trailing "B" or "iB"; case-insensitive).  Returns MPIFT_OK,
 * MPIFT_ERR_RANGE on overflow, MPIFT_ERR_CONFIG when malformed.
 */
int mpift_parse_size(const char *s, uint64_t *out);

/* A policy's and a copies setting's names, as the configuration spells them. */
const char *mpift_policy_name(enum mpift_policy p);
const char *mpift_copies_name(enum mpift_copies c);

#endif
