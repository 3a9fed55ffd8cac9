/*
 * elf.c - an ELF object's loader-facing facts (see elf.h).
 *
 * Each part is read with pread() into its own buffer, bounded, rather
 * than the file mapped: a library truncated while rank 0 reads it is a
 * short read and a message, not a SIGBUS.
 */
#include "mpift_autoconf.h"

#include <elf.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/elf.h"

/* Bounds on a hostile file, far above any real object: program headers
 * (the loader reads at most a page of them), the dynamic section, the
 * dynamic string table (a large C++ library's is a few hundred KiB). */
#define PHDR_MAX 4096
#define DYNAMIC_MAX ((uint64_t)1 << 20)
#define STRTAB_MAX ((uint64_t)64 << 20)

struct image {
    int fd;
    uint64_t len;      /* the file's size */
    const char *name;
    char *why;
    size_t whylen;
};

static int damaged(struct image *im, const char *what)
{
    snprintf(im->why, im->whylen, "%s: a damaged ELF object (%s)", im->name, what);
    return MPIFT_ERR_IO;
}

/* len bytes at off, which must lie in the file and be at most max, into
 * a new buffer with a NUL after them. */
static int fetch(struct image *im, uint64_t off, uint64_t len, uint64_t max, const char *what, void **out)
{
    unsigned char *b;
    size_t done = 0;
    ssize_t n;

    *out = NULL;
    if (off > im->len || len > im->len - off || len > max)
        return damaged(im, what);
    if (!(b = malloc((size_t)len + 1)))
        return MPIFT_ERR_NOMEM;
    while (done < len) {
        n = pread(im->fd, b + done, (size_t)len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(im->why, im->whylen, "%s: %s", im->name, n < 0 ? strerror(errno) : "shrank while it was read");
            free(b);
            return MPIFT_ERR_IO;
        }
        done += (size_t)n;
    }
    b[len] = '\0';
    *out = b;
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
    if (h->e_phnum > PHDR_MAX || (h->e_phnum && h->e_phentsize != sizeof(Elf64_Phdr)))
        return damaged(im, "program headers of an unknown size");
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

/* A copy of the string at index i of the table tab (len bytes, a NUL
 * after them, so a string without its end is the table's last). */
static int string_at(struct image *im, const char *tab, uint64_t len, uint64_t i, char **out)
{
    if (i >= len || !memchr(tab + i, '\0', (size_t)(len - i)))
        return damaged(im, "a string beyond its table");
    if (!(*out = strdup(tab + i)))
        return MPIFT_ERR_NOMEM;
    return MPIFT_OK;
}

/* The names of the dynamic array d (n entries), from the table tab. */
static int take_names(struct image *im, const Elf64_Dyn *d, uint64_t n, const char *tab, uint64_t strsz,
                      struct mpift_elf *e)
{
    uint64_t i;
    int rc = MPIFT_OK;

    for (i = 0; i < n && d[i].d_tag != DT_NULL && rc == MPIFT_OK; i++) {
        char **slot = d[i].d_tag == DT_NEEDED ? &e->needed[e->nneeded] : d[i].d_tag == DT_SONAME ? &e->soname
                    : d[i].d_tag == DT_RPATH ? &e->rpath : d[i].d_tag == DT_RUNPATH ? &e->runpath : NULL;
        if (!slot)
            continue;
        free(*slot);   /* a second DT_SONAME or DT_RPATH: the loader takes the last */
        *slot = NULL;
        rc = string_at(im, tab, strsz, d[i].d_un.d_val, slot);
        if (rc == MPIFT_OK && d[i].d_tag == DT_NEEDED)
            e->nneeded++;
    }
    return rc;
}

/* The dynamic section: first the string table's place, then the names. */
static int read_dynamic(struct image *im, const Elf64_Phdr *ph, size_t nph, const Elf64_Phdr *dyn,
                        struct mpift_elf *e)
{
    Elf64_Dyn *d;
    char *tab = NULL;
    uint64_t strtab = UINT64_MAX, strsz = 0, stroff, n, i, nneeded = 0;
    int rc = fetch(im, dyn->p_offset, dyn->p_filesz, DYNAMIC_MAX, "its dynamic section", (void **)&d);

    if (rc != MPIFT_OK)
        return rc;
    n = dyn->p_filesz / sizeof(Elf64_Dyn);
    for (i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag == DT_STRTAB)
            strtab = d[i].d_un.d_ptr;
        else if (d[i].d_tag == DT_STRSZ)
            strsz = d[i].d_un.d_val;
        else if (d[i].d_tag == DT_NEEDED)
            nneeded++;
    }
    if (nneeded > MPIFT_ELF_NEEDED_MAX)
        rc = damaged(im, "too many DT_NEEDED");
    else if (nneeded && !(e->needed = calloc(nneeded, sizeof(*e->needed))))
        rc = MPIFT_ERR_NOMEM;
    else if (strtab != UINT64_MAX || nneeded) {
        stroff = offset_of(ph, nph, strtab);
        rc = stroff == UINT64_MAX ? damaged(im, "its string table is not in the file")
                                  : fetch(im, stroff, strsz, STRTAB_MAX, "its string table", (void **)&tab);
        if (rc == MPIFT_OK)
            rc = take_names(im, d, n, tab, strsz, e);
    }
    free(tab);
    free(d);
    return rc;
}

static int parse(struct image *im, struct mpift_elf *e)
{
    Elf64_Ehdr h;
    Elf64_Phdr *ph = NULL;
    const Elf64_Phdr *dyn = NULL;
    void *p;
    size_t i;
    int rc = fetch(im, 0, sizeof(h), sizeof(h), "its header", &p);

    if (rc != MPIFT_OK)
        return rc;
    memcpy(&h, p, sizeof(h));
    free(p);
    if ((rc = check_header(im, &h)) != MPIFT_OK)
        return rc;
    e->type = h.e_type;
    e->machine = h.e_machine;
    rc = fetch(im, h.e_phoff, (uint64_t)h.e_phnum * sizeof(*ph), (uint64_t)PHDR_MAX * sizeof(*ph),
               "program headers beyond the file", (void **)&ph);
    for (i = 0; rc == MPIFT_OK && i < h.e_phnum; i++) {
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = &ph[i];
        else if (ph[i].p_type == PT_INTERP && !e->interp) {
            rc = fetch(im, ph[i].p_offset, ph[i].p_filesz, PATH_MAX, "PT_INTERP beyond the file", &p);
            if (rc == MPIFT_OK)
                rc = string_at(im, p, ph[i].p_filesz, 0, &e->interp);
            free(p);
        }
    }
    if (rc == MPIFT_OK && dyn)
        rc = read_dynamic(im, ph, h.e_phnum, dyn, e);
    free(ph);
    return rc;
}

int mpift_elf_read(int fd, const char *name, struct mpift_elf *e, char *why, size_t whylen)
{
    struct image im = {fd, 0, name, why, whylen};
    struct stat st;
    int rc;

    memset(e, 0, sizeof(*e));
    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "%s: %s", name, strerror(errno));
        return MPIFT_ERR_IO;
    }
    if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        snprintf(why, whylen, "%s: not an ELF object (%lld bytes)", name, (long long)st.st_size);
        return MPIFT_ERR_UNSUPPORTED;
    }
    im.len = (uint64_t)st.st_size;
    rc = parse(&im, e);
    if (rc == MPIFT_ERR_NOMEM)
        snprintf(why, whylen, "%s: out of memory reading it as an ELF object", name);
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
