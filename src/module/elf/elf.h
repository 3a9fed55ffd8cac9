/*
 * elf.h - what the dynamic loader reads of an ELF object before it maps
 * it: its class, machine, interpreter, and the dynamic section's
 * DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH.  Pure file reading, no
 * MPI, no loader: rank 0 learns a program's libraries without running it
 * (stage/libs.h).
 *
 * Only 64-bit little-endian objects are read (x86-64, aarch64, ...,
 * every ELF a Debian amd64 or arm64 node loads); any other class or byte
 * order is refused by name rather than misread.  Everything is read
 * through the program headers, as the loader does (section headers may be
 * stripped), each offset and size checked against the file.
 */
#ifndef MPIFT_ELF_H
#define MPIFT_ELF_H

#include <stddef.h>
#include <stdint.h>

/* At most this many DT_NEEDED of one object: far above any real one
 * (a large program has ~100), a bound on a hostile file. */
#define MPIFT_ELF_NEEDED_MAX 4096

struct mpift_elf {
    uint16_t type;       /* e_type: ET_EXEC, ET_DYN */
    uint16_t machine;    /* e_machine: a library of another one is not loadable */
    char *interp;        /* PT_INTERP (the program's loader), or NULL */
    char *soname;        /* DT_SONAME, or NULL */
    char *rpath;         /* DT_RPATH, or NULL */
    char *runpath;       /* DT_RUNPATH, or NULL */
    char **needed;       /* DT_NEEDED, in the file's order */
    size_t nneeded;
};

/*
 * mpift_elf_read - read the object open on fd (`name` for messages).
 * A static program is read fine: no dynamic section, nothing needed.
 * Returns MPIFT_OK; MPIFT_ERR_UNSUPPORTED (not ELF, or an ELF of another
 * class or byte order: why says which), MPIFT_ERR_IO (unreadable, or
 * damaged: an offset beyond the file, a string without
 * its end), MPIFT_ERR_NOMEM.  Free with mpift_elf_free in every case.
 */
int mpift_elf_read(int fd, const char *name, struct mpift_elf *e, char *why, size_t whylen);

/* Is the file open on fd an ELF object at all (its first four bytes)?
 * 1, 0 (or unreadable). */
int mpift_elf_is(int fd);

void mpift_elf_free(struct mpift_elf *e);

#endif
