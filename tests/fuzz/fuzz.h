/* Shared by the libFuzzer harnesses: turning the fuzzer's bytes into the
 * NUL-terminated strings and the pieces a parser takes. */
#ifndef LTM_FUZZ_H
#define LTM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A heap copy with a NUL after len bytes, so AddressSanitizer sees a read
 * past the input; never NULL (aborts on out of memory). */
static inline char *fuzz_strndup(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

/* A heap copy of exactly len bytes, with no NUL after them: for the parsers
 * that take (text, len) and must stop at len. Never NULL. */
static inline char *fuzz_memdup(const uint8_t *data, size_t len)
{
    char *s = malloc(len ? len : 1);
    if (!s)
        abort();
    memcpy(s, data, len);
    return s;
}

/* Takes the bytes up to the next NUL (or the end) as a new string and
 * advances past it: how a harness gets several strings from one input. */
static inline char *fuzz_next(const uint8_t **data, size_t *len)
{
    const uint8_t *nul = memchr(*data, '\0', *len);
    size_t n = nul ? (size_t)(nul - *data) : *len;
    char *s = fuzz_strndup(*data, n);
    *data += nul ? n + 1 : n;
    *len -= nul ? n + 1 : n;
    return s;
}

#endif
