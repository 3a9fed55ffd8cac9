/*
 * hash.h - XXH3, mpift's one checksum, at the widest vectors the CPU has.
 *
 * libxxhash's plain XXH3 calls are compiled for the baseline of the
 * architecture (SSE2 on x86-64: 4.9 GB/s on the build machine), and at
 * memory speed hashing then costs more than moving the bytes.  Since 0.8
 * the library also has _dispatch twins that pick AVX2 or AVX-512 at run
 * time (18 GB/s there, the same digests); xxh_x86dispatch.h renames the
 * plain calls to them.  configure (m4/mpift_check_xxhash.m4) defines
 * MPIFT_HAVE_XXH_DISPATCH where the header and the functions are there.
 * Every file that hashes includes this, not xxhash.h.
 */
#ifndef MPIFT_UTIL_HASH_H
#define MPIFT_UTIL_HASH_H

#include "mpift_autoconf.h"

#include <xxhash.h>
#if MPIFT_HAVE_XXH_DISPATCH
#include <xxh_x86dispatch.h>
#endif

#endif
