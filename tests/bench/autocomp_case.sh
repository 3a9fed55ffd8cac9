# autocomp_case.sh - staging.sh's "autocomp" case (sourced by it):
# transfer.compress = "auto" against none, lz4 and zstd at each link speed
# (issue 24, item 4).
#
# 64 MiB of CSV-like text (make_csv) and 64 MiB of random bytes onto 3
# networked fake nodes (pipeline from rank 0), the links shaped to 100
# Mbit/s, 1 Gbit/s and 2 Gbit/s (tbf), then unshaped (veth: memory
# speed, this machine's CPU the limit); each setting 3 rounds, the median
# shown, net of the same job with every copy in place (once a round, the
# fastest).
# Targets: auto never slower than none by more than 2%, and within 5% of
# the best fixed codec; --verbose's account of what auto chose is noted,
# and the CPU seconds of the stage-in on every rank (MPIFT_TEST_CPU: the
# runs use the fault-injection module, whose hooks cost nothing unset),
# which a loaded machine disturbs less than the wall.

# autocomp_shape RATE: every node's link at RATE both ways ("" unshaped);
# above 1 Gbit/s tbf needs a burst of a tick's worth (4 ms at 250 Hz).
autocomp_shape() {
    local i burst=256kb
    case $1 in *gbit) burst=2mb ;; esac
    for ((i = 1; i <= 3; i++)); do
        if [ -z "$1" ]; then
            ip netns exec "$(_netnodes_ns $i)" tc qdisc del dev eth0 root 2>/dev/null
            ip netns exec "$NET_HUB" tc qdisc del dev "$(_netnodes_veth $i)" root 2>/dev/null
            continue
        fi
        ip netns exec "$(_netnodes_ns $i)" tc qdisc replace dev eth0 root tbf rate "$1" burst $burst latency 200ms &&
            ip netns exec "$NET_HUB" tc qdisc replace dev "$(_netnodes_veth $i)" root tbf rate "$1" burst $burst \
                latency 200ms || fail "autocomp: cannot shape the links to $1"
    done
}

# autocomp_cpu: the CPU seconds of the last run's stage-in, every rank's
# summed (MPIFT_TEST_CPU's lines in $t/err), in $cpu.
autocomp_cpu() {
    cpu=$(awk '$1 == "mpift-test-cpu" { s += $6 } END { printf "%.2f", s }' "$t/err")
}

# autocomp_runs KIND RATE LABEL: the 4 settings x 3 rounds, the rows and
# the verdict for one kind of data at one link speed.
autocomp_runs() {
    local kind=$1 label=$3 how k again net none_net best_net best wires chose verdict cpus
    local -A full wire cpu_s
    stage_cfg "$t/ac.cfg" "$t/ac/$kind" "$FAKE_SCRATCH/ac"
    again=99
    for k in 1 2 3; do
        for how in none lz4 zstd auto; do
            clear_nodes ac
            MPIFT_TEST_CPU=1 timed netnodes_mpirun 3 "$stage" --module "$faults" --config "$t/ac.cfg" \
                --set "transfer.compress=$how" --set paths.source_shared=no --verbose --report "$t/ac.json" ||
                fail "autocomp $how, $kind, $label: $(cat "$t/out" "$t/err")"
            autocomp_cpu
            check_nodes "$t/ac/$kind/tree" ac
            full[$how]="${full[$how]:-} $secs"
            cpu_s[$how]="${cpu_s[$how]:-} $cpu"
            wire[$how]=$(wire_mib "$t/ac.json")
            [ "$how" = auto ] && chose=$(grep -ho "bytes sent as .*" "$t/out" "$t/err" | head -1 | cut -c1-100)
        done
        # the same job with every copy in place, once a round: the fastest
        timed netnodes_mpirun 3 "$stage" --module "$faults" --config "$t/ac.cfg" --set paths.source_shared=no ||
            fail "autocomp re-run: $(cat "$t/out" "$t/err")"
        again=$(calc "%.2f" "$secs < $again ? $secs : $again")
    done
    wires= cpus= best_net=99 best=
    for how in none lz4 zstd auto; do
        cpus="$cpus $how $(median ${cpu_s[$how]})"
        secs=$(median ${full[$how]})
        net=$(calc "%.3f" "$secs - $again")
        [ "$how" = none ] && none_net=$net
        if [ "$how" != auto ] && [ "$(calc "%d" "$net < $best_net")" = 1 ]; then
            best_net=$net best=$how
        fi
        row "zip: 64 MiB $kind, $label" "$how" "$secs" "$(calc "%.1f" "67.1 / $net")" \
            "$(calc "%.2f" "$net / $none_net")" "$([ "$how" = auto ] && echo 1.02 || echo -)" "-"
        wires="$wires $how ${wire[$how]}"
    done
    verdict=met
    [ "$(calc "%d" "$net <= $none_net * 1.02 && $net <= $best_net * 1.05")" = 1 ] || verdict="not met"
    note "$kind, $label: MiB on the wire:$wires; nothing to move $again s (subtracted)"
    note "  CPU s of the stage-in, all ranks (median):$cpus"
    note "  auto against none $(calc "%+.1f%%" "($net / $none_net - 1) * 100"), against the best fixed ($best)" \
        "$(calc "%+.1f%%" "($net / $best_net - 1) * 100") (targets: at most +2%, +5%): $verdict"
    note "  auto chose (--verbose, last round): $chose"
}

autocomp_case() {
    local rate label
    can need_netnodes "autocomp: auto at 100M/1G/2G/unshaped" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/ac/csv/tree" "$t/ac/random/tree"
    make_csv "$t/ac/csv/tree/f.csv" $((64 << 20))
    head -c $((64 << 20)) /dev/urandom >"$t/ac/random/tree/f.bin"
    netnodes_setup 3
    for rate in 100mbit 1gbit 2gbit ""; do
        label=${rate:-unshaped}
        label=${label/mbit/ Mbit\/s}
        label=${label/gbit/ Gbit\/s}
        autocomp_shape "$rate"
        autocomp_runs csv "$rate" "$label"
        autocomp_runs random "$rate" "$label"
    done
    netnodes_off
    rm -rf "$t/ac"
}
