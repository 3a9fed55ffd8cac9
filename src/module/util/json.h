/*
 * json.h - the --report file's JSON: a small streaming writer that always
 * produces valid JSON (names are bytes, JSON is UTF-8).  The file itself
 * is fs/outfile.h's: written under a temporary name and renamed, so a
 * reader never sees half a report.
 */
#ifndef MPIFT_JSON_H
#define MPIFT_JSON_H

#include <stdint.h>
#include <stdio.h>

/*
 * mpift_json_str - write s as a JSON string (quotes included): '"', '\\'
 * and control characters escaped, valid UTF-8 passed through, and each
 * byte that is not part of valid UTF-8 written as \udcXX (XX its value,
 * 80..ff: Python's surrogateescape), so a name that is not UTF-8 keeps
 * its exact bytes and never reads as another name: Latin-1 "\xe9" is
 * "\udce9", UTF-8 "é" stays "é".
 */
void mpift_json_str(FILE *f, const char *s);

/*
 * mpift_json_fixed - write v as a JSON number with `places` decimals (0..9),
 * e.g. 0.095 for seconds.  Built from integers, never printf's %f: a
 * program that links libmpift and calls setlocale(LC_ALL, "") in a
 * comma-decimal locale would otherwise get "0,095", which is not JSON.
 * Every number with a fraction in a report, a --progress=jsonl line or
 * the test builds' CPU line (util/cpu.c) goes through here.  A value that is not finite (never expected) is written 0,
 * so the output stays JSON.
 */
void mpift_json_fixed(FILE *f, double v, int places);

#endif
