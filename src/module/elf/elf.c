/* elf.c - an ELF object's loader-facing facts (see elf.h). */
#include "mpift_autoconf.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/elf.h"

/* At most this many program headers: a bound on a hostile file (the
 * loader itself reads at most a page of them). */
#define PHDR_MAX 4096

struct image {
    const unsigned char *buf; /* the whole file, mapped (read lazily, as the loader maps it) */
    size_t len;
    const char *name;
    char *why;
    size_t whylen;
};

static int damaged(struct image *im, const char *what)
{
    snprintf(im->why, im->whylen, "%s: a damaged ELF object (%s)", im->name, what);
    return MPIFT_ERR_IO;
}

/* [off, off + len) lies in the file. */
static int inside(const struct image *im, uint64_t off, uint64_t len)
{
    return off <= im->len && len <= im->len - off;
}

static int read_all(int fd, struct image *im)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        snprintf(im->why, im->whylen, "%s: %s", im->name, strerror(errno));
        return MPIFT_ERR_IO;
    }
    if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        snprintf(im->why, im->whylen, "%s: not an ELF object (%lld bytes)", im->name, (long long)st.st_size);
        return MPIFT_ERR_UNSUPPORTED;
    }
    im->len = (size_t)st.st_size;
    im->buf = mmap(NULL, im->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (im->buf == MAP_FAILED) {
        im->buf = NULL;
        snprintf(im->why, im->whylen, "%s: %s", im->name, strerror(errno));
        return errno == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_IO;
    }
    return MPIFT_OK;
}

/* The header: ELF, 64-bit, little-endian, current version, a program or
 * a shared object. */
static int check_header(struct image *im, const Elf64_Ehdr *h)
{
    if (memcmp(h->e_ident, ELFMAG, SELFMAG) != 0) {
        snprintf(im->why, im->whylen, "%s: not an ELF object", im->name);
        return MPIFT_ERR_UNSUPPORTED;
    }
    if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_ident[EI_DATA] != ELFDATA2LSB) {
        snprintf(im->why, im->whylen, "%s: a %s-bit %s-endian ELF object; mpift reads the libraries of 64-bit "
                 "little-endian ones only", im->name, h->e_ident[EI_CLASS] == ELFCLASS32 ? "32" : "?",
                 h->e_ident[EI_DATA] == ELFDATA2MSB ? "big" : h->e_ident[EI_DATA] == ELFDATA2LSB ? "little" : "?");
        return MPIFT_ERR_UNSUPPORTED;
    }
    if (h->e_ident[EI_VERSION] != EV_CURRENT)
        return damaged(im, "unknown ELF version");
    if (h->e_type != ET_EXEC && h->e_type != ET_DYN) {
        snprintf(im->why, im->whylen, "%s: an ELF object that is neither a program nor a shared library "
                 "(e_type %u)", im->name, (unsigned)h->e_type);
        return MPIFT_ERR_UNSUPPORTED;
    }
    if (h->e_phnum > PHDR_MAX || h->e_phoff % sizeof(uint64_t) || (h->e_phnum && h->e_phentsize != sizeof(Elf64_Phdr)) ||
        !inside(im, h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr)))
        return damaged(im, "program headers beyond the file");
    return MPIFT_OK;
}

/* The file offset of virtual address va, through the PT_LOAD that maps
 * it, as the loader would find it in memory; or UINT64_MAX. */
static uint64_t offset_of(const Elf64_Phdr *ph, size_t n, uint64_t va)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr && va - ph[i].p_vaddr < ph[i].p_filesz)
            return ph[i].p_offset + (va - ph[i].p_vaddr);
    return UINT64_MAX;
}

/* A copy of the NUL-terminated string at off, which must end within
 * [off, end). */
static int string_at(struct image *im, uint64_t off, uint64_t end, char **out)
{
    const unsigned char *nul;

    if (off >= end || end > im->len || !(nul = memchr(im->buf + off, '\0', end - off)))
        return damaged(im, "a string beyond its table");
    if (!(*out = strdup((const char *)im->buf + off)))
        return MPIFT_ERR_NOMEM;
    return MPIFT_OK;
}

/* The dynamic section: first the string table's place, then the names. */
static int read_dynamic(struct image *im, const Elf64_Phdr *ph, size_t nph, const Elf64_Phdr *dyn,
                        struct mpift_elf *e)
{
    const Elf64_Dyn *d;
    uint64_t strtab = UINT64_MAX, strsz = 0, stroff, n, i, nneeded = 0;
    int rc = MPIFT_OK;

    if (!inside(im, dyn->p_offset, dyn->p_filesz) || dyn->p_offset % sizeof(uint64_t))
        return damaged(im, "the dynamic section beyond the file");
    d = (const Elf64_Dyn *)(im->buf + dyn->p_offset);
    n = dyn->p_filesz / sizeof(Elf64_Dyn);
    for (i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag == DT_STRTAB)
            strtab = d[i].d_un.d_ptr;
        else if (d[i].d_tag == DT_STRSZ)
            strsz = d[i].d_un.d_val;
        else if (d[i].d_tag == DT_NEEDED)
            nneeded++;
    }
    if (nneeded == 0 && strtab == UINT64_MAX)
        return MPIFT_OK;
    stroff = offset_of(ph, nph, strtab);
    if (stroff == UINT64_MAX || !inside(im, stroff, strsz))
        return damaged(im, "its string table is not in the file");
    if (nneeded > MPIFT_ELF_NEEDED_MAX)
        return damaged(im, "too many DT_NEEDED");
    if (nneeded && !(e->needed = calloc(nneeded, sizeof(*e->needed))))
        return MPIFT_ERR_NOMEM;
    for (i = 0; i < n && d[i].d_tag != DT_NULL && rc == MPIFT_OK; i++) {
        char **slot = d[i].d_tag == DT_NEEDED ? &e->needed[e->nneeded] : d[i].d_tag == DT_SONAME ? &e->soname
                    : d[i].d_tag == DT_RPATH ? &e->rpath : d[i].d_tag == DT_RUNPATH ? &e->runpath : NULL;
        if (!slot)
            continue;
        if (d[i].d_un.d_val >= strsz)
            return damaged(im, "a name beyond its string table");
        free(*slot);   /* a second DT_SONAME or DT_RPATH: the loader takes the last */
        *slot = NULL;
        rc = string_at(im, stroff + d[i].d_un.d_val, stroff + strsz, slot);
        if (rc == MPIFT_OK && d[i].d_tag == DT_NEEDED)
            e->nneeded++;
    }
    return rc;
}

static int parse(struct image *im, struct mpift_elf *e)
{
    const Elf64_Ehdr *h = (const Elf64_Ehdr *)im->buf;
    const Elf64_Phdr *ph, *dyn = NULL;
    size_t i;
    int rc = check_header(im, h);

    if (rc != MPIFT_OK)
        return rc;
    e->type = h->e_type;
    e->machine = h->e_machine;
    ph = (const Elf64_Phdr *)(im->buf + h->e_phoff);
    for (i = 0; i < h->e_phnum && rc == MPIFT_OK; i++) {
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = &ph[i];
        else if (ph[i].p_type == PT_INTERP && !e->interp) {
            if (!inside(im, ph[i].p_offset, ph[i].p_filesz))
                return damaged(im, "PT_INTERP beyond the file");
            rc = string_at(im, ph[i].p_offset, ph[i].p_offset + ph[i].p_filesz, &e->interp);
        }
    }
    if (rc == MPIFT_OK && dyn)
        rc = read_dynamic(im, ph, h->e_phnum, dyn, e);
    return rc;
}

int mpift_elf_read(int fd, const char *name, struct mpift_elf *e, char *why, size_t whylen)
{
    struct image im = {NULL, 0, name, why, whylen};
    int rc;

    memset(e, 0, sizeof(*e));
    rc = read_all(fd, &im);
    if (rc == MPIFT_OK)
        rc = parse(&im, e);   /* the map is page-aligned: the headers' casts are */
    if (rc == MPIFT_ERR_NOMEM)
        snprintf(why, whylen, "%s: out of memory reading it as an ELF object", name);
    if (im.buf)
        munmap((void *)im.buf, im.len);
    return rc;
}

int mpift_elf_is(int fd)
{
    unsigned char m[SELFMAG];

    return pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) && memcmp(m, ELFMAG, SELFMAG) == 0;
}

void mpift_elf_free(struct mpift_elf *e)
{
    size_t i;

    for (i = 0; i < e->nneeded; i++)
        free(e->needed[i]);
    free(e->needed);
    free(e->interp);
    free(e->soname);
    free(e->rpath);
    free(e->runpath);
    memset(e, 0, sizeof(*e));
}
