/* Temporary ledger files for the scheduler's unit tests and its benchmark. */
#ifndef LTM_SCHEDULER_LEDGER_FILES_TEST_H
#define LTM_SCHEDULER_LEDGER_FILES_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A new empty file under $TMPDIR (else /tmp) for a ledger: 0, or -1 when
 * none could be made. */
static inline int temp_ledger_path(char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/ltm-sched-test-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* The ledger file and the WAL files SQLite keeps beside it. */
static inline void remove_ledger(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

#endif
