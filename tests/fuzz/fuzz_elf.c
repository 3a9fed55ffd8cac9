/*
 * fuzz_elf.c - libFuzzer target: the ELF reader (elf/elf.h), which rank 0
 * runs on files of the source tree (a libs entry's programs and every
 * library their headers name).  The input is the whole file, read
 * through a memfd as from disk; what reads has its DT_NEEDED bounded and
 * each of them a string.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpift_elf e;
    char why[256];
    size_t k;
    int fd = memfd_create("fuzz_elf", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    if (mpift_elf_read(fd, "fuzz", &e, why, sizeof(why)) == MPIFT_OK) {
        if (e.nneeded > MPIFT_ELF_NEEDED_MAX)
            abort();
        for (k = 0; k < e.nneeded; k++)
            if (!e.needed[k])
                abort();
    }
    mpift_elf_free(&e);
    (void)mpift_elf_is(fd);
    close(fd);
    return 0;
}
