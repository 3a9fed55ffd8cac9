#!/bin/bash
# The Debian packages' SPANK plugin in the project's Slurm test cluster:
# run by hand (not in make check) after `apt-get install ./*.deb` of
# make deb's packages, by whoever may start the cluster (it needs root and
# namespaces, like tests/integration/slurm_spank.sh):
#
#   top_srcdir=$PWD top_builddir=$PWD bash tests/packaging/deb_slurm.sh
#
# The cluster's plugstack.conf is the package's own line (include
# /etc/slurm/plugstack.conf.d/*.conf), so Slurm finds mpift_spank.so by
# name in its plugin folder and the plugin runs the packaged
# /usr/bin/mpift-stage: srun --help lists its options, and srun
# --mpift-stage stages the packaged sample data onto 3 nodes before the
# tasks, which find it byte for byte.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
dpkg -s mpift-slurm-plugin >/dev/null 2>&1 || skip "mpift-slurm-plugin is not installed (make deb, then apt-get install ./deb/*.deb)"
plugin=$(dpkg -L mpift-slurm-plugin | grep '/mpift_spank\.so$')
[ -n "$plugin" ] || skip "mpift-slurm-plugin holds no mpift_spank.so"
need_slurmcluster
SLURMCLUSTER_PLUGSTACK="include /etc/slurm/plugstack.conf.d/*.conf"
slurmcluster_setup 3
plan 3

where() {
    local dir
    dir=$(dpkg -L slurm-wlm-basic-plugins | grep -m1 '/slurm-wlm/[^/]*\.so$' | xargs dirname)
    [ "$(dirname "$plugin")" = "$dir" ] || fail "the plugin is in $(dirname "$plugin"), Slurm's plugins in $dir"
    grep -q '^optional mpift_spank\.so' /etc/slurm/plugstack.conf.d/mpift.conf ||
        fail "/etc/slurm/plugstack.conf.d/mpift.conf does not enable it: $(cat /etc/slurm/plugstack.conf.d/mpift.conf)"
}
scenario "the plugin is in Debian Slurm's plugin folder, enabled by plugstack.conf.d/mpift.conf" where

options() {
    slurm_run srun --help >"$t/log" 2>&1
    grep -q -- '--mpift-stage=FILE' "$t/log" || fail "srun --help does not list --mpift-stage: $(grep -i mpift "$t/log")"
}
scenario "srun --help lists the packaged plugin's --mpift-stage=FILE" options

cat >"$t/stage.cfg" <<CFG
version = 1;
paths: { source = "/usr/share/mpift/data"; dest = "$SLURM_LOCAL/scratch/%j"; };
stage_in = ( { src = "inputs/*.dat"; dest = "inputs/"; } );
CFG
cat >"$t/task.sh" <<'TASK'
#!/bin/sh
cmp "$SLURM_LOCAL/scratch/$SLURM_JOB_ID/inputs/mesh.dat" /usr/share/mpift/data/inputs/mesh.dat && echo "staged on $(hostname)"
TASK
chmod +x "$t/task.sh"
stage() {
    slurm_run srun -N3 --mpift-stage="$t/stage.cfg" "$t/task.sh" >"$t/log" 2>&1 ||
        fail "srun --mpift-stage with the packaged plugin failed: $(cat "$t/log")"
    [ "$(grep -c '^staged on ' "$t/log")" = 3 ] || fail "not every node's task found the file: $(cat "$t/log")"
}
scenario "srun --mpift-stage stages the packaged sample onto 3 nodes before the tasks" stage
