/* xxh128.c - for the tests: each FILE's XXH3-128 in canonical form, as
 * 32 hex digits and the name (what mpift calls a content key, stage/keys.h). */
#include <stdio.h>
#include <xxhash.h>

int main(int argc, char **argv)
{
    static unsigned char buf[1 << 20];
    XXH128_canonical_t c;
    int i, k, rc = 0;

    for (i = 1; i < argc; i++) {
        XXH3_state_t *h = XXH3_createState();
        FILE *f = fopen(argv[i], "rb");
        size_t n;

        if (!h || !f) {
            perror(argv[i]);
            rc = 1;
        } else {
            XXH3_128bits_reset(h);
            while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                XXH3_128bits_update(h, buf, n);
            XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
            for (k = 0; k < 16; k++)
                printf("%02x", c.digest[k]);
            printf("  %s\n", argv[i]);
        }
        if (f)
            fclose(f);
        XXH3_freeState(h);
    }
    return rc;
}
