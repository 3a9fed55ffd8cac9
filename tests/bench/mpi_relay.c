/*
 * mpi_relay.c - the floor of a relay: the least an MPI staging tool can do
 * to put one copy of a file on every node.  Rank 0 reads SRC in chunks of
 * CHUNK bytes, writes each to DEST and passes it to the next node's first
 * rank, which writes it and passes it on, down the chain of nodes (mpift's
 * pipeline); the other ranks only wait.  Nothing is hashed, verified,
 * compressed or renamed: `make bench`'s fabric case times mpift against
 * this.
 *
 *   mpirun -n N mpi_relay SRC DEST [CHUNK]     (CHUNK: bytes, default 256 KiB)
 *
 * Each node leader keeps NBUF chunks in flight (receives posted ahead into
 * every buffer whose forward is done, forwards going out while the next
 * chunks are taken and written), as mpift does, and waits as mpift does
 * (wait_one, a 1 us timer slack).  Exit status 1 on any error, named.
 */
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NBUF 32   /* mpift's window on a chain (transfer.window) */

/* Wait for one request as mpift's ranks do (comm/watch.c): 16 polls that
 * yield the core, then sleeps from 1 us doubling to 1 ms.  A blocking
 * MPI_Wait spins instead, and on a machine with fewer cores than ranks
 * the spinning leaders take the core from the one with work to do: the
 * floor would then measure the spinning, not the bytes. */
static void wait_one(MPI_Request *r)
{
    unsigned polls = 0;
    int done = 0;

    for (;;) {
        MPI_Test(r, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        if (polls < 16) {
            sched_yield();
        } else {
            long ns = 1000L << (polls - 16 < 10 ? polls - 16 : 10);
            struct timespec ts = { 0, ns > 1000000L ? 1000000L : ns };
            nanosleep(&ts, NULL);
        }
        polls++;
    }
}

static int die(const char *what, const char *path)
{
    fprintf(stderr, "mpi_relay: %s %s: %s\n", what, path, strerror(errno));
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
}

static void write_all(int fd, const char *buf, size_t n, const char *path)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write", path);
        buf += w;
        n -= (size_t)w;
    }
}

static size_t chunk_len(uint64_t size, uint64_t i, size_t chunk)
{
    uint64_t off = i * chunk;
    return size - off < chunk ? (size_t)(size - off) : chunk;
}

/* The first node: read, write, send. */
static void relay_first(int src, int dst, const char *dpath, uint64_t size, size_t chunk, char **buf, MPI_Comm lead,
                        int next)
{
    MPI_Request req[NBUF];
    uint64_t n = (size + chunk - 1) / chunk, i;

    for (i = 0; i < NBUF; i++)
        req[i] = MPI_REQUEST_NULL;
    for (i = 0; i < n; i++) {
        int b = (int)(i % NBUF);
        size_t len = chunk_len(size, i, chunk), got = 0;
        wait_one(&req[b]);
        while (got < len) {
            ssize_t r = pread(src, buf[b] + got, len - got, (off_t)(i * chunk + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                die("read", "the source");
            got += (size_t)r;
        }
        if (next >= 0)
            MPI_Isend(buf[b], (int)len, MPI_BYTE, next, 0, lead, &req[b]);
        write_all(dst, buf[b], len, dpath);
    }
    for (i = 0; i < NBUF; i++)
        wait_one(&req[i]);
}

/* Post the receives of chunks *posted.. (up to NBUF ahead of chunk
 * `next`) into the buffers whose forwards are done, as mpift's relays do;
 * wait for a forward only when the next chunk to take has no receive
 * posted (a relay that waited for each forward before taking the next
 * chunk would hold at most 2 chunks in flight towards its child: a
 * handshake with the child per chunk, and a slower floor than mpift's). */
static void post_ahead(char **buf, MPI_Request *rreq, MPI_Request *sreq, uint64_t *posted, uint64_t next,
                       uint64_t n, uint64_t size, size_t chunk, MPI_Comm lead, int prev)
{
    while (*posted < n && *posted < next + NBUF) {
        int b = (int)(*posted % NBUF), done = 0;

        MPI_Test(&sreq[b], &done, MPI_STATUS_IGNORE);
        if (!done && *posted > next)
            return;
        if (!done)
            wait_one(&sreq[b]);
        MPI_Irecv(buf[b], (int)chunk_len(size, *posted, chunk), MPI_BYTE, prev, 0, lead, &rreq[b]);
        (*posted)++;
    }
}

/* Any later node: receive (NBUF posted ahead), send on, write. */
static void relay_next(int dst, const char *dpath, uint64_t size, size_t chunk, char **buf, MPI_Comm lead, int prev,
                       int next)
{
    MPI_Request rreq[NBUF], sreq[NBUF];
    uint64_t n = (size + chunk - 1) / chunk, i, posted = 0;

    for (i = 0; i < NBUF; i++)
        sreq[i] = rreq[i] = MPI_REQUEST_NULL;
    for (i = 0; i < n; i++) {
        int b = (int)(i % NBUF);
        size_t len = chunk_len(size, i, chunk);
        post_ahead(buf, rreq, sreq, &posted, i, n, size, chunk, lead, prev);
        wait_one(&rreq[b]);
        if (next >= 0)
            MPI_Isend(buf[b], (int)len, MPI_BYTE, next, 0, lead, &sreq[b]);
        write_all(dst, buf[b], len, dpath);
    }
    for (i = 0; i < NBUF; i++)
        wait_one(&sreq[i]);
}

static void idle_barrier(void)
{
    MPI_Request r;

    MPI_Ibarrier(MPI_COMM_WORLD, &r);
    wait_one(&r);
}

int main(int argc, char **argv)
{
    MPI_Comm node, lead;
    int rank, nrank, lrank = -1, nlead = 0, src = -1, dst, i;
    uint64_t size = 0;
    size_t chunk = 256 << 10;
    char *buf[NBUF];
    struct stat st;

    MPI_Init(&argc, &argv);
    /* As mpift's waits: pauses as short as written (comm/watch.c). */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: mpirun -n N mpi_relay SRC DEST [CHUNK]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (argc > 3)
        chunk = (size_t)strtoull(argv[3], NULL, 10);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &nrank);
    MPI_Comm_split(MPI_COMM_WORLD, nrank == 0 ? 0 : MPI_UNDEFINED, rank, &lead);
    if (lead != MPI_COMM_NULL) {
        MPI_Comm_rank(lead, &lrank);
        MPI_Comm_size(lead, &nlead);
    }
    if (rank == 0) {
        if ((src = open(argv[1], O_RDONLY)) < 0 || fstat(src, &st) < 0)
            return die("open", argv[1]);
        size = (uint64_t)st.st_size;
    }
    if (lead == MPI_COMM_NULL) {
        idle_barrier();
        MPI_Finalize();
        return 0;
    }
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, lead);
    if ((dst = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
        return die("create", argv[2]);
    for (i = 0; i < NBUF; i++)
        if (posix_memalign((void **)&buf[i], 4096, chunk) != 0)
            return die("allocate", "a chunk");
    if (lrank == 0)
        relay_first(src, dst, argv[2], size, chunk, buf, lead, nlead > 1 ? 1 : -1);
    else
        relay_next(dst, argv[2], size, chunk, buf, lead, lrank - 1, lrank + 1 < nlead ? lrank + 1 : -1);
    if (close(dst) < 0)
        return die("close", argv[2]);
    for (i = 0; i < NBUF; i++)
        free(buf[i]);
    idle_barrier();
    MPI_Comm_free(&lead);
    MPI_Comm_free(&node);
    MPI_Finalize();
    return 0;
}
