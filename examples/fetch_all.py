#!/usr/bin/env python3
"""fetch_all.py - the mpift service from Python (mpi4py), the prototype's
session: every worker fetches a different file from the master at the
same time, works on it and puts its result back; worker 2 also fetches
worker_1.log from the master; odd workers hand their input straight to
the next worker.  (examples/fetch_all.c is the same program in C.)

    mpirun -n 4 python3 fetch_all.py CONFIG [KEY=VALUE ...]

The master (rank 0) needs part-1.dat ... part-<N-1>.dat and worker_1.log
under the configuration's paths.source and writes results under
paths.collect; each worker works under its own paths.dest.  KEY=VALUE pairs
override the configuration like mpift-stage's --set.

Exit status: 0 when every transfer landed, 1 otherwise (same on all
ranks); mpift's exit status when the context cannot be opened; the job is
aborted when it cannot go on (an error with .fatal set).
"""
import os
import sys
import zlib

from mpi4py import MPI

import mpift


def say(stream, text):
    """One line in one write: mpirun interleaves the ranks' output at write
    boundaries, and print() writes the line and its end separately when
    Python runs unbuffered (PYTHONUNBUFFERED, -u)."""
    stream.write(text + "\n")
    stream.flush()


def call(comm, what, *args):
    """Run one service call: what it returned (True for None), or False
    when it failed, after saying why (a fatal failure ends the job: the
    other ranks could wait forever)."""
    try:
        value = what(*args)
        return True if value is None else value
    except mpift.Error as e:
        say(sys.stderr, "rank %d: %s" % (comm.rank, e))
        if e.fatal:
            comm.Abort(e.exit_code)
        return False


def worker(ctx, comm):
    rank, size, ok = comm.rank, comm.size, True
    name, result = "part-%d.dat" % rank, "result-%d.txt" % rank
    if call(comm, ctx.fetch, name):
        with open(os.path.join(ctx.dest_root, name), "rb") as f:
            data = f.read()
        with open(os.path.join(ctx.dest_root, result), "w") as f:
            f.write("rank %d %s %d bytes crc32 %08x\n" % (rank, name, len(data), zlib.crc32(data)))
        ok = call(comm, ctx.put, result)
        if ok:
            say(sys.stdout, "rank %d: fetched %s (%d bytes), put %s" % (rank, name, len(data), result))
    else:
        ok = False
    if rank == 2:   # the master sends worker_1.log to worker 2
        ok = call(comm, ctx.fetch, "worker_1.log") and ok
        if ok:
            say(sys.stdout, "rank 2: worker_1.log from the master is in %s" % ctx.dest_root)
    if rank % 2 == 1 and rank + 1 < size:   # worker to worker: 1 -> 2, 3 -> 4, ...
        ok = call(comm, ctx.send_to, name, rank + 1) and ok
    elif rank % 2 == 0:
        got = call(comm, ctx.recv_from, rank - 1)
        if got:
            say(sys.stdout, "rank %d: received %s from rank %d" % (rank, got, rank - 1))
        ok = bool(got) and ok
    return call(comm, ctx.done) and ok


def main():
    comm = MPI.COMM_WORLD
    if len(sys.argv) < 2:
        if comm.rank == 0:
            say(sys.stderr, "usage: mpirun -n N %s CONFIG [KEY=VALUE ...]" % sys.argv[0])
        return 2
    try:
        ctx = mpift.Context(sys.argv[1], comm, set=sys.argv[2:], quiet=True)
    except mpift.Error as e:
        if comm.rank == 0:
            say(sys.stderr, str(e))
        if e.fatal:
            comm.Abort(e.exit_code)
        return e.exit_code
    with ctx:
        if comm.rank == 0:
            try:
                st = ctx.serve()
            except mpift.Error as e:
                say(sys.stderr, "master: %s" % e)
                comm.Abort(1)
            say(sys.stdout, "master: %d requests, %d failed, %d bytes out, %d bytes in, up to %d transfers at once"
                  % (st.requests, st.failed, st.bytes_out, st.bytes_in, st.peak_streams))
            ok = True
        else:
            ok = worker(ctx, comm)
    return 0 if comm.allreduce(0 if ok else 1, op=MPI.MAX) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
