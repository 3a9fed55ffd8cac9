#!/usr/bin/env python3
"""perf_stages.py - where a relay's CPU goes, by stage, from `perf script`.

    perf script -i perf.data | perf_stages.py HZ GIB_DELIVERED

reads the samples of a `perf record -F HZ -g` of one staging job (every
process of it: mpirun's children) and prints one line per stage: CPU
milliseconds per GiB delivered per node, and the share of the job's CPU.
A sample's stage comes from its kernel frames first (what system call it
is in), then from its innermost user-space symbol; the rules are in
STAGES (for each frame, then DSO_STAGES: by the frame's object), first
match wins.  Start-up (the dynamic loader, hwloc's probe of PCI,
MPI_Init) is printed apart: it does not scale with the bytes.
"""
import collections
import re
import sys

# (stage, regular expression over one frame's symbol), in order.
STAGES = [
    ("start-up", r"^(do_lookup_x|_dl_\w+|dl_\w+|pci_\w+|hwloc_\w+|ompi_mpi_init|PMPI_Init\w*|orte_init|pmix_\w+|PMIx_\w+)$"),
    ("hash", r"^(XXH\w+|mpift_hash\w*)$"),
    ("compress", r"^(ZSTD_\w+|LZ4_\w+|HUF_\w+|FSE_\w+)$"),
    ("receive", r"^(tcp_recvmsg\w*|__x64_sys_recvfrom|__x64_sys_recvmsg|skb_copy_datagram_iter|__skb_datagram_iter)$"),
    ("forward", r"^(tcp_sendmsg\w*|__x64_sys_sendto|__x64_sys_sendmsg|__dev_queue_xmit|loopback_xmit|net_rx_action|__netif_receive_skb\w*|ip_rcv\w*|tcp_v4_rcv)$"),
    ("write", r"^(shmem_file_write_iter|generic_perform_write|__x64_sys_pwrite64|__x64_sys_write|ext4_buffered_write_iter|__x64_sys_fallocate|__x64_sys_ftruncate|__x64_sys_fsync)$"),
    ("read source", r"^(shmem_file_read_iter|filemap_read|__x64_sys_pread64|__x64_sys_read|__x64_sys_copy_file_range)$"),
    ("create, rename, stat", r"^(__x64_sys_openat\w*|__x64_sys_rename\w*|__x64_sys_newfstatat|__x64_sys_statx|__x64_sys_unlinkat|__x64_sys_mkdirat|__x64_sys_linkat|__x64_sys_close)$"),
    ("wait", r"^(__x64_sys_sched_yield|__x64_sys_nanosleep|__x64_sys_clock_nanosleep|__x64_sys_poll|__x64_sys_ppoll|__x64_sys_epoll_wait|__x64_sys_epoll_pwait|__x64_sys_futex|do_sys_poll|schedule|__sched_yield|clock_nanosleep\S*|nanosleep|__poll|poll|epoll_wait|sched_yield)$"),
    ("copy in user space", r"^(__memmove\w*|__memcpy\w*|memcpy\S*|__memset\w*)$"),
    ("clocks, locks", r"^(clock_gettime\S*|__vdso_clock_gettime|gettimeofday\S*|__GI___clock_gettime|pthread_mutex\S*|__GI___pthread\S*|__lll_lock\S*|__pthread_mutex\S*|futex_\w+)$"),
    ("formatting text", r"^(__vfprintf_internal|__vsnprintf\S*|__strchrnul\S*|__printf_fp\S*)$"),
    ("MPI progress", r"^(opal_\w+|ompi_\w+|mca_\w+|PMPI_\w+|MPI_\w+|event_\w+|evutil_\w+)$"),
    ("mpift", r"^(mpift_\w+)$"),
]
RULES = [(name, re.compile(rx)) for name, rx in STAGES]
# (stage, regular expression over a frame's object), for libraries whose
# symbols perf cannot name (Debian's libxxhash is stripped: its frames
# showed as bare addresses and their samples fell to the caller, "mpift").
DSO_STAGES = [
    ("hash", r"/libxxhash\.so"),
    ("compress", r"/lib(zstd|lz4)\.so"),
]
DSO_RULES = [(name, re.compile(rx)) for name, rx in DSO_STAGES]
FRAME = re.compile(r"^\s*[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)\s*$")


def stage_of(frames):
    """frames: (symbol, dso) innermost first."""
    for sym, dso in frames:
        for name, rx in RULES:
            if rx.match(sym):
                return name
        for name, rx in DSO_RULES:
            if rx.search(dso):
                return name
    for sym, dso in frames:
        if "kallsyms" not in dso and sym != "[unknown]":
            return "other: %s (%s)" % (dso.rsplit("/", 1)[-1] or "?", sym)
    return "other: kernel"


def main():
    hz = float(sys.argv[1])
    gib = float(sys.argv[2])
    counts = collections.Counter()
    frames = []
    total = 0

    def flush():
        nonlocal total
        if frames:
            counts[stage_of(frames)] += 1
            total += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            frames = []
            continue
        if not line[0].isspace():
            flush()
            frames = []
            continue
        m = FRAME.match(line)
        if m:
            frames.append((m.group(1), m.group(2)))
    flush()
    if not total:
        print("no samples")
        return 1
    bytes_ms = sum(c for s, c in counts.items() if s != "start-up") * 1000.0 / hz
    print("%-40s %12s %8s" % ("stage", "ms/GiB/node", "share"))
    for stage, c in sorted(counts.items(), key=lambda kv: -kv[1]):
        if stage == "start-up" or c * 100.0 / total < 0.5:
            continue
        print("%-40s %12.0f %7.1f%%" % (stage[:40], c * 1000.0 / hz / gib, c * 100.0 / total))
    small = sum(c for s, c in counts.items() if s != "start-up" and c * 100.0 / total < 0.5)
    if small:
        print("%-40s %12.0f %7.1f%%" % ("(each under 0.5%)", small * 1000.0 / hz / gib, small * 100.0 / total))
    print("%-40s %12.0f %7s" % ("all but start-up", bytes_ms / gib, ""))
    print("%-40s %12.0f ms in all (%.1f%% of the job's samples)" % ("start-up", counts["start-up"] * 1000.0 / hz,
                                                                     counts["start-up"] * 100.0 / total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
