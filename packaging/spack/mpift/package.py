# Copyright Spack Project Developers. See COPYRIGHT file for details.
#
# SPDX-License-Identifier: (Apache-2.0 OR MIT)
#
# mpift's Spack recipe, kept in the mpift source tree (packaging/spack) and
# checked offline by its make check (tests/integration/packaging.sh): it
# parses, every variant a when= names is declared, and every configure
# switch it passes exists in ./configure --help.  To use it before it is in
# spack-packages:  spack repo create myrepo && cp -r packaging/spack/mpift
# myrepo/packages/ && spack repo add myrepo.
from spack_repo.builtin.build_systems.autotools import AutotoolsPackage

from spack.package import *


class Mpift(AutotoolsPackage):
    """Stage files onto every node of an MPI job: mpift-stage runs inside
    the job (mpirun -n N mpift-stage --config FILE) and writes one verified
    copy of the configured files onto each node's local storage, relayed
    between nodes, and gathers results back; libmpift, a Python module on
    mpi4py and a Fortran module give programs the same engine."""

    homepage = "https://github.com/mpift/mpift"
    url = "https://github.com/mpift/mpift/releases/download/v0.2.0/mpift-0.2.0.tar.gz"
    git = "https://github.com/mpift/mpift.git"

    maintainers("mpift")

    license("BSD-3-Clause", checked_by="mpift")

    version("main", branch="main")
    # sha256 of the release tarball (make distcheck's mpift-0.2.0.tar.gz as
    # uploaded with the v0.2.0 tag; spack checksum mpift 0.2.0 prints it).
    version("0.2.0", sha256="@SHA256@")

    variant("pmix", default=True, description="Take the job's topology from PMIx (else from MPI)")
    variant("lz4", default=True, description="lz4 compression on the wire (transfer.compress)")
    variant("zstd", default=True, description="zstd compression on the wire (transfer.compress)")
    variant("libarchive", default=True, description="Unpack archives on arrival (extract = true, --extract)")
    variant("slurm", default=False, description="Build the Slurm SPANK plugin (srun --mpift-stage)")
    variant("python", default=False, description="Install the Python module (mpi4py)")
    variant("fortran", default=True, description="Build the Fortran module (use mpift)")

    depends_on("c", type="build")
    depends_on("fortran", type="build", when="+fortran")
    depends_on("pkgconfig", type="build")
    # Building from git needs the autotools (Spack runs autoreconf where
    # there is no configure); a release tarball does not.
    depends_on("autoconf", type="build", when="@main")
    depends_on("automake", type="build", when="@main")
    depends_on("libtool", type="build", when="@main")

    depends_on("mpi")
    depends_on("libconfig@1.5:")
    depends_on("xxhash@0.8:")
    depends_on("pmix@3:", when="+pmix")
    depends_on("lz4@1.8:", when="+lz4")
    depends_on("zstd@1.4:", when="+zstd")
    depends_on("libarchive@3.3:", when="+libarchive")
    depends_on("slurm", when="+slurm")

    extends("python", when="+python")
    depends_on("python@3.7:", type=("build", "run"), when="+python")
    depends_on("py-mpi4py", type=("build", "run"), when="+python")

    # The unit-test framework: only make check needs it.
    depends_on("check@0.11:", type="test")

    def configure_args(self):
        spec = self.spec
        args = [f"MPICC={spec['mpi'].mpicc}"]
        if spec.satisfies("^mpich") or spec.satisfies("^mvapich") or spec.satisfies("^intel-oneapi-mpi"):
            args.append("--with-mpi=mpich")
        if spec.satisfies("+pmix"):
            args.append(f"--with-pmix={spec['pmix'].prefix}")
        else:
            args.append("--without-pmix")
        args.extend(self.with_or_without("lz4"))
        args.extend(self.with_or_without("zstd"))
        args.extend(self.with_or_without("libarchive"))
        if spec.satisfies("+slurm"):
            args.append(f"--with-slurm={spec['slurm'].prefix}")
            # plugstack.conf names the plugin by its full path there.
            args.append(f"--with-slurm-plugindir={join_path(self.prefix.lib, 'slurm')}")
        else:
            args.append("--without-slurm")
        if spec.satisfies("+python"):
            args.extend(["--with-python", f"PYTHON={spec['python'].command.path}"])
        else:
            args.append("--without-python")
        if spec.satisfies("+fortran"):
            args.extend(["--with-fortran", f"FC={spec['mpi'].mpifc}"])
        else:
            args.append("--without-fortran")
        if not self.run_tests:
            args.append("--without-check")
        return args

    def test_version(self):
        """mpift-stage --version names the release and the parts built in"""
        out = which(self.prefix.bin.join("mpift-stage"))("--version", output=str, error=str)
        assert f"mpift-stage {self.spec.version}" in out
        names = {"pmix": "PMIx", "lz4": "lz4", "zstd": "zstd", "libarchive": "libarchive", "python": "Python", "fortran": "Fortran"}
        for variant, name in names.items():
            built = "yes" if self.spec.satisfies(f"+{variant}") else "no"
            assert f"{name}:{built}" in out, f"{name}:{built} not in {out}"

    def test_check_config(self):
        """the installed sample configuration validates"""
        stage = which(self.prefix.bin.join("mpift-stage"))
        stage("--config", self.prefix.share.mpift.join("stage.cfg"), "--check")

