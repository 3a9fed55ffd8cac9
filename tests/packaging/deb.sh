#!/bin/bash
# The Debian packages, end to end, as .ci/run does it on every run (root on
# a Debian machine with the build dependencies of packaging/debian/control
# and lintian):
#
#   top_srcdir=$PWD top_builddir=$PWD bash tests/packaging/deb.sh
#
# in a configured source tree.  make deb builds the .debs from the release
# tarball; lintian has nothing to say (no error, no warning); apt-get
# installs them; the installed mpift-stage stages the packaged sample over
# 4 local ranks byte for byte; python3 imports mpift from the package; the
# packaged SPANK plugin runs in the project's Slurm test cluster
# (deb_slurm.sh, when the cluster can run here); and dpkg --purge leaves none
# of the packages' files behind.  Not in make check: it installs into /usr,
# and it skips on a machine that has any of the six installed already.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
[ "$(id -u)" = 0 ] || skip "the packages are installed with apt-get: run as root"
for tool in dpkg-buildpackage lintian apt-get; do
    command -v "$tool" >/dev/null || skip "no $tool (apt-get install debhelper dh-python lintian)"
done
debs=(libmpift0 libmpift-dev libmpift-fortran0 mpift mpift-slurm-plugin python3-mpift)
# The test installs and then purges these six: a machine that has any of
# them already (a site's own install) is left alone.
for p in "${debs[@]}"; do
    if dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed'; then
        skip "$p is installed already: this test would replace and then purge it (dpkg --purge ${debs[*]} first)"
    fi
done
plan 6
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# dpkg, not apt-get: it removes the six and nothing else (it refuses,
# rather than removing a package of the site's that depends on them).
purge() { dpkg --purge "${debs[@]}" >"$t/purge.log" 2>&1; }
# Whatever happens, the machine is left without the packages.
purge_quietly() { dpkg --purge "${debs[@]}" >/dev/null 2>&1 || true; }
at_exit purge_quietly

build() {
    make -C "$top_builddir" deb >"$t/deb.log" 2>&1 || fail "make deb failed: $(tail -n 30 "$t/deb.log")"
    local p
    for p in "${debs[@]}"; do
        ls "$top_builddir"/deb/"${p}"_*.deb >/dev/null 2>&1 || fail "make deb made no $p package: $(ls "$top_builddir/deb")"
    done
    ls -l "$top_builddir"/deb/*.deb | grep -v dbgsym | awk '{print $5 "\t" $9}'
}
scenario "make deb builds the six packages from the release tarball" build

lint() {
    lintian "$top_builddir"/deb/*.changes >"$t/lintian.log" 2>&1
    grep -Eq '^[EW]: ' "$t/lintian.log" && fail "lintian reports errors or warnings: $(grep -E '^[EW]: ' "$t/lintian.log")"
    true
}
scenario "lintian on the packages: no error, no warning" lint

install_debs() {
    local files=() p
    for p in "${debs[@]}"; do files+=("$(ls "$top_builddir"/deb/"${p}"_*.deb)"); done
    apt-get install -y -q "${files[@]}" >"$t/install.log" 2>&1 || fail "apt-get install of the packages failed: $(tail -n 20 "$t/install.log")"
    [ "$(command -v mpift-stage)" = /usr/bin/mpift-stage ] || fail "mpift-stage on PATH is $(command -v mpift-stage), not the package's"
}
scenario "apt-get install ./*.deb installs them" install_debs

stage() {
    local mpirun
    mpirun=$(command -v mpirun.openmpi || command -v mpirun)
    (cd /usr/share/mpift && timeout 120 "$mpirun" --oversubscribe -n 4 /usr/bin/mpift-stage data "$t/out/%j") >"$t/stage.log" 2>&1 ||
        fail "the installed mpift-stage failed: $(cat "$t/stage.log")"
    local got
    got=$(find "$t/out" -mindepth 1 -maxdepth 1 -type d)
    [ -n "$got" ] || fail "nothing staged under $t/out: $(cat "$t/stage.log")"
    diff -r /usr/share/mpift/data "$got/data" >"$t/diff" || fail "the staged copy differs from /usr/share/mpift/data: $(cat "$t/diff")"
    /usr/bin/python3 -c 'import mpift, sys; sys.exit(0 if mpift.__file__.startswith("/usr/lib/python3/dist-packages/") else 1)' 2>"$t/py" ||
        fail "/usr/bin/python3 -c 'import mpift' does not find the package's module: $(cat "$t/py")"
}
scenario "the installed mpift-stage stages the sample over 4 ranks; python3 imports mpift" stage

spank() {
    if ! (need_slurmcluster) >/dev/null 2>&1; then
        echo "# no Slurm test cluster here: the plugin's file and plugstack line only"
        [ -f "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/slurm-wlm/mpift_spank.so" ] || fail "no mpift_spank.so in Slurm's plugin folder"
        return 0
    fi
    bash "$top_srcdir/tests/packaging/deb_slurm.sh" >"$t/slurm.log" 2>&1 || fail "the packaged SPANK plugin in the Slurm test cluster: $(cat "$t/slurm.log")"
    cat "$t/slurm.log"
}
scenario "the packaged SPANK plugin loads and stages in the Slurm test cluster" spank

purged() {
    local p files=()
    for p in "${debs[@]}"; do
        mapfile -t -O "${#files[@]}" files < <(dpkg -L "$p" 2>/dev/null)
    done
    purge || fail "dpkg --purge failed: $(tail -n 20 "$t/purge.log")"
    for p in "${debs[@]}"; do
        dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' && fail "$p is still installed after the purge"
    done
    local f left=
    for f in "${files[@]}"; do
        [ -f "$f" ] || [ -L "$f" ] && left="$left $f"
    done
    [ -z "$left" ] || fail "files left after the purge:$left"
    [ ! -e /etc/slurm/plugstack.conf.d/mpift.conf ] || fail "/etc/slurm/plugstack.conf.d/mpift.conf is left after the purge"
}
scenario "dpkg --purge removes every file the packages installed" purged
