# fabric.sh - staging.sh's "fabric" case (sourced by it): the cost per byte
# at memory speed, where no link sets the pace (issue 24).
#
# 1 GiB of random bytes onto 3 fake nodes x 2 ranks on lo, the source and
# every node's folder on tmpfs (/dev/shm), so what a node spends per byte
# (receive, hash, write, forward, wait) is all there is.  Beside mpift the
# floor: tests/bench/mpi_relay, which only relays the same chunks (256 KiB)
# along the same chain of nodes and writes them, hashing nothing.  mpift
# runs as launched, with the source read by rank 0 alone, unverified,
# with Open MPI's own TCP eager limit and send size (eager-64k), and with
# the 1 MiB eager limit mpift-stage sets where a link may be slow
# (eager-1m: what it set everywhere before, _fab_envs).  Each
# program runs a warm-up and then 5 times (the median shown), and as many
# times with nothing to move (mpift: every copy in place; the floor: an
# empty file), which is subtracted: "net".  The floor runs twice a round:
# at Open MPI's own limits, and at the 1 MiB eager limit (floor-1m: the
# floor with the other way of the eager limit, so that neither way of
# mpift's is compared with a floor held back by its transport).  Every
# run that writes the file starts with every copy of the last ones
# removed, mpift's and the floor's: on a virtual machine a page the guest
# has not used for a while costs the host a fault on its first write
# (free page reporting hands it back), so a run whose 3 GiB must grow
# the memory in use paid 2-4x the CPU of one that reused what the run
# before it had just freed (measured: the floor 7 s against 2.6 s when it
# alone ran with mpift's copies still in place).  Wall is the job's.  CPU is
# the job's own: every process it starts (mpirun, the fake nodes' daemons,
# the ranks) runs in a control group of its own and its CPU account is
# read after (cgroup v1 cpuacct or v2 cpu.stat).  Where no control group
# can be made, CPU is the whole machine's (/proc/stat: then run it on a
# quiet machine; the note says which).  The whole machine's count read
# anything else running as the job's: a compile beside the bench once
# doubled the floor's CPU.  Every copy is compared with the source byte
# for byte.

# _fab_cgroup: a new control group that accounts CPU, printed as
# "DIR FILE" (FILE: where its CPU is read), or nothing
_fab_cgroup() {
    local base d
    for base in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/unified /sys/fs/cgroup; do
        d=$base/mpift-bench.$$.$RANDOM
        [ -d "$base" ] && mkdir "$d" 2>/dev/null || continue
        if [ -r "$d/cpuacct.usage" ]; then
            echo "$d cpuacct.usage"
            return
        elif [ -r "$d/cpu.stat" ] && [ -w "$d/cgroup.procs" ]; then
            echo "$d cpu.stat"
            return
        fi
        rmdir "$d" 2>/dev/null
    done
}

# _fab_cg_cpu DIR FILE: the CPU seconds the group has used
_fab_cg_cpu() {
    case $2 in
    cpuacct.usage) awk '{ printf "%.3f", $1 / 1e9 }' "$1/$2" ;;
    *) awk '$1 == "usage_usec" { printf "%.3f", $2 / 1e6 }' "$1/$2" ;;
    esac
}

# _fab_cpu: the machine's busy CPU seconds so far (user, nice, system,
# irq, softirq, steal)
_fab_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.3f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

# What CPU the notes show: the job's, or (no control group) the machine's.
_fab_cpu_of="the job's own (a control group)"

# _fab_run NAME CMD...: run CMD once; append "NAME WALL CPU" to $t/fab/times
_fab_run() {
    local name=$1 s e c0 c1 cg rc
    shift
    sync
    read -r -a cg <<<"$(_fab_cgroup)"
    c0=$(_fab_cpu)
    s=$(date +%s.%N)
    if [ ${#cg[@]} = 2 ]; then
        # The subshell joins the group, then runs the job: all it starts
        # is accounted there.
        (echo "$BASHPID" >"${cg[0]}/cgroup.procs" && "$@") >"$t/out" 2>"$t/err"
    else
        "$@" >"$t/out" 2>"$t/err"
    fi
    rc=$?
    e=$(date +%s.%N)
    if [ ${#cg[@]} = 2 ]; then
        c0=0
        c1=$(_fab_cg_cpu "${cg[@]}")
        rmdir "${cg[0]}" 2>/dev/null
    else
        c1=$(_fab_cpu)
        _fab_cpu_of="the whole machine's (no control group could be made: run on a quiet machine)"
    fi
    [ $rc = 0 ] || fail "fabric, $name: $(cat "$t/out" "$t/err")"
    awk -v n="$name" -v s="$s" -v e="$e" -v a="$c0" -v b="$c1" 'BEGIN { printf "%s %.3f %.3f\n", n, e - s, b - a }' >>"$t/fab/times"
}

# _fab_median NAME FIELD: the median of FIELD (2 wall, 3 CPU) of NAME's runs
_fab_median() {
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$t/fab/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# _fab_range NAME FIELD: "LOW-HIGH", the spread of FIELD of NAME's runs
_fab_range() {
    awk -v n="$1" -v f="$2" '$1 == n { if (!c++ || $f < lo) lo = $f; if ($f > hi) hi = $f }
        END { printf "%.2f-%.2f", lo, hi }' "$t/fab/times"
}

# _fab_check PATH: every node's PATH is the source (in the nodes' temp dir)
_fab_check() {
    local h
    for h in $FAKE_HOSTS; do
        cmp "$FAKE_NODEDIR/../src/tree/f.bin" "$FAKE_NODEDIR/$h/$1" || fail "fabric: node $h's copy ($1) differs from the source"
    done
}

# The mpift runs: a name and its options (xxh3 verification is the default).
declare -A _fab_variants=(
    [mpift]=""
    [rank0-src]="--set paths.source_shared=no"
    [no-hash]="--set transfer.checksum=none"
    [eager-64k]=""
    [eager-1m]=""
)
# ... and the environment of those that need one.  On lo mpift-stage
# keeps Open MPI's own TCP eager limit (api/hook.c: every interface it
# would use is loopback), so a 256 KiB chunk goes by rendezvous and lands
# in place, and raises only btl_tcp_max_send_size; eager-64k sets both
# back to Open MPI's.  eager-1m: the 1 MiB limit it sets where a link
# may be slow, under which every receiver copies each chunk once out of
# Open MPI's buffer (docs/fabric.md: what each way costs, here and on
# shaped links).
declare -A _fab_envs=(
    [eager-64k]="OMPI_MCA_btl_tcp_eager_limit=65536 OMPI_MCA_btl_tcp_max_send_size=131072"
    [eager-1m]="OMPI_MCA_btl_tcp_eager_limit=1049600 OMPI_MCA_btl_tcp_max_send_size=1049600"
    [floor-1m]="OMPI_MCA_btl_tcp_eager_limit=1049600 OMPI_MCA_btl_tcp_max_send_size=1049600"
)
_fab_names="mpift rank0-src no-hash eager-64k eager-1m"

# _fab_env NAME CMD...: CMD with NAME's environment, in a subshell
_fab_env() (
    local e
    for e in ${_fab_envs[$1]:-}; do
        export "${e?}"
    done
    shift
    "$@"
)

fabric() {
    local relay=$top_builddir/tests/bench/mpi_relay i run what
    # MPIFT_BENCH_FABRIC_MIB: a smaller file to try the case quickly
    local mib=${MPIFT_BENCH_FABRIC_MIB:-1024} label
    can need_fakenodes "1 GiB at memory speed, fabric" "needs fake nodes" || return 0
    [ -x "$relay" ] || fail "fabric: no $relay (make bench builds it)"
    [ -d /dev/shm ] && [ -w /dev/shm ] || fail "fabric: no writable /dev/shm (tmpfs) for the source and the nodes"
    # Everything on tmpfs: the nodes' folders (fakenodes_setup's temp dir)
    # and the source.
    FAKENODES_BASE=/dev/shm fakenodes_setup 3 2
    [ "$(stat -f -c %T "$FAKE_NODEDIR")" = tmpfs ] || fail "fabric: the nodes' folders $FAKE_NODEDIR are not on tmpfs"
    mkdir -p "$t/fab" "$FAKE_NODEDIR/../src/tree"
    ln -s "$(cd "$FAKE_NODEDIR/../src" && pwd)" "$t/fab/src"
    head -c $((mib << 20)) /dev/urandom >"$t/fab/src/tree/f.bin"
    : >"$t/fab/src/empty"
    : >"$t/fab/times"
    stage_cfg "$t/fab/stage.cfg" "$t/fab/src" "$FAKE_SCRATCH/m" 'policy = "pipeline";'

    for i in 0 1 2 3 4 5; do
        # i = 0 is the warm-up (page cache, first launch): not counted
        [ "$i" = 0 ] && run=warm || run=""
        for what in $_fab_names; do
            # shellcheck disable=SC2086
            set -- ${_fab_variants[$what]}
            fakenodes_clear m floor.bin
            _fab_run "${run:-$what}" _fab_env "$what" fakenodes_mpirun 6 "$stage" --config "$t/fab/stage.cfg" "$@"
            _fab_check m/f.bin
            _fab_run "${run:-$what-empty}" _fab_env "$what" fakenodes_mpirun 6 "$stage" --config "$t/fab/stage.cfg" "$@"
        done
        for what in floor floor-1m; do
            fakenodes_clear m floor.bin
            _fab_run "${run:-$what}" _fab_env "$what" fakenodes_mpirun 6 "$relay" "$t/fab/src/tree/f.bin" "$FAKE_SCRATCH/floor.bin"
            _fab_check floor.bin
            _fab_run "${run:-$what-empty}" _fab_env "$what" fakenodes_mpirun 6 "$relay" "$t/fab/src/empty" "$FAKE_SCRATCH/floor.bin"
        done
    done
    fakenodes_clear m floor.bin

    local fw fc
    label="$mib MiB onto 3x2 at memory speed"
    [ "$mib" != 1024 ] || label="1 GiB onto 3x2 at memory speed"
    fw=$(calc "%.3f" "$(_fab_median floor 2) - $(_fab_median floor-empty 2)")
    fc=$(calc "%.3f" "$(_fab_median floor 3) - $(_fab_median floor-empty 3)")
    local mw mc
    mw=$(calc "%.3f" "$(_fab_median floor-1m 2) - $(_fab_median floor-1m-empty 2)")
    mc=$(calc "%.3f" "$(_fab_median floor-1m 3) - $(_fab_median floor-1m-empty 3)")
    row "$label" "floor" "$(_fab_median floor 2)" "$(calc "%.0f" "$mib * 1.048576 * 3 / $fw")" "1.00" "" "-"
    row "$label" "floor-1m" "$(_fab_median floor-1m 2)" "$(calc "%.0f" "$mib * 1.048576 * 3 / $mw")" \
        "$(calc "%.2f" "$mw / $fw")" "" "-"
    for what in $_fab_names; do
        local w c
        w=$(calc "%.3f" "$(_fab_median "$what" 2) - $(_fab_median "$what-empty" 2)")
        c=$(calc "%.3f" "$(_fab_median "$what" 3) - $(_fab_median "$what-empty" 3)")
        row "$label" "$what" "$(_fab_median "$what" 2)" \
            "$(calc "%.0f" "$mib * 1.048576 * 3 / $w")" "$(calc "%.2f" "$w / $fw")" "1.15" "-"
        note "$what (${_fab_variants[$what]:-${_fab_envs[$what]:-as launched: xxh3, source_shared auto}}): net wall $w s, net CPU $c s; over the floor: wall $(calc "%.2f" "$w / $fw"), CPU $(calc "%.2f" "$c / $fc"); over floor-1m: wall $(calc "%.2f" "$w / $mw"), CPU $(calc "%.2f" "$c / $mc"); runs: wall $(_fab_range "$what" 2) s, CPU $(_fab_range "$what" 3) s"
    done
    note "floor runs: wall $(_fab_range floor 2) s, CPU $(_fab_range floor 3) s; floor-1m runs: wall $(_fab_range floor-1m 2) s, CPU $(_fab_range floor-1m 3) s"
    note "floor (tests/bench/mpi_relay: relay and write, no hash): net wall $fw s, net CPU $fc s; floor-1m (${_fab_envs[floor-1m]}): net wall $mw s, net CPU $mc s;" \
        "nothing to move: mpift $(_fab_median mpift-empty 2) s, floor $(_fab_median floor-empty 2) s (medians of 5, after a warm-up)"
    note "MB/s: 3 copies of the file over net wall; ratio: net wall over the floor's (CPU ratio in the note);" \
        "CPU: $_fab_cpu_of"
    rm -rf "$FAKE_NODEDIR/../src"
}

# profile: where the CPU of the fabric case goes, by stage (perf_stages.py:
# receive, hash, write, forward, read source, wait, MPI progress, ...), in
# CPU milliseconds per GiB delivered per node: perf (Debian's linux-perf)
# records every process of one job (mpirun and its children), as
# launched, with the source read by rank 0 alone, without verification,
# and the floor; each after the same warm-up as fabric.
profile() {
    local relay=$top_builddir/tests/bench/mpi_relay mib=${MPIFT_BENCH_FABRIC_MIB:-1024} what hz=1999 gib
    command -v perf >/dev/null && perf record -q -o /dev/null -- true >/dev/null 2>&1 || {
        row "profile at memory speed" "-" "-" "-" "skipped" "" "-"
        note "no usable perf (apt-get install linux-perf; kernel.perf_event_paranoid may forbid it)"
        return 0
    }
    can need_fakenodes "profile at memory speed" "needs fake nodes" || return 0
    FAKENODES_BASE=/dev/shm fakenodes_setup 3 2
    mkdir -p "$t/prof" "$FAKE_NODEDIR/../src/tree"
    head -c $((mib << 20)) /dev/urandom >"$FAKE_NODEDIR/../src/tree/f.bin"
    stage_cfg "$t/prof/stage.cfg" "$FAKE_NODEDIR/../src" "$FAKE_SCRATCH/m" 'policy = "pipeline";'
    gib=$(calc "%.4f" "$mib / 1024 * 3")
    note "profile: $mib MiB onto 3 fake nodes x 2 ranks on tmpfs, perf record -F $hz -g of the whole job;"
    note "  CPU ms per GiB delivered per node (3 nodes), by stage (tests/bench/perf_stages.py)"
    for what in $_fab_names floor; do
        fakenodes_clear m floor.bin
        if [ $what = floor ]; then
            set -- "$relay" "$FAKE_NODEDIR/../src/tree/f.bin" "$FAKE_SCRATCH/floor.bin"
        else
            # shellcheck disable=SC2086
            set -- "$stage" --config "$t/prof/stage.cfg" ${_fab_variants[$what]}
        fi
        _fab_env "$what" fakenodes_mpirun 6 "$@" >"$t/out" 2>"$t/err" || fail "profile, $what (warm-up): $(cat "$t/out" "$t/err")"
        fakenodes_clear m floor.bin
        FAKE_LAUNCH_PREFIX="perf record -q -F $hz -g -o $t/prof/perf.data --" _fab_env "$what" fakenodes_mpirun 6 "$@" \
            >"$t/out" 2>"$t/err" ||
            fail "profile, $what: $(cat "$t/out" "$t/err")"
        [ $what = floor ] && _fab_check floor.bin || _fab_check m/f.bin
        note "$what:"
        perf script -i "$t/prof/perf.data" 2>/dev/null | python3 "$top_srcdir/tests/bench/perf_stages.py" "$hz" "$gib" |
            sed 's/^/    /'
    done
    fakenodes_clear m floor.bin
    rm -rf "$FAKE_NODEDIR/../src" "$t/prof"
}
