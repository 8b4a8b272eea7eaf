/* Shared by the notifier's unit tests: cmocka and fixture loading. */
#ifndef NTF_TEST_UTIL_H
#define NTF_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/fsutil.h"

#include <stdio.h>
#include <stdlib.h>

static inline char *fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", LTM_FIXTURES_DIR, name);
    char *text = NULL;
    size_t n = 0;
    if (ltm_read_file(path, 1 << 20, &text, &n) != 0)
        fail_msg("fixture %s missing", path);
    if (len)
        *len = n;
    return text;
}

#endif
