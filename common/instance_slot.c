/* Owns the numbered instance slots of replicas sharing one data dir
 * (include/ltm/instance_slot.h says why they exist). */
#include "ltm/instance_slot.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

int ltm_instance_slot_claim(const char *dir, const char *service, int max_slots, int *slot,
                            int *fd)
{
    if (ltm_mkdirs(dir, 0750) != LTM_OK)
        return LTM_EIO;
    for (int n = 1; n <= max_slots; n++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s-%d.lock", dir, service, n) >= (int)sizeof path) {
            errno = ENAMETOOLONG;
            return LTM_EIO;
        }
        int lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
        if (lock_fd < 0)
            return LTM_EIO;
        /* One lock per open file description: a second claim in the same
         * process sees the first as taken, like another replica would. */
        if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
            *slot = n;
            *fd = lock_fd;
            return LTM_OK;
        }
        int saved = errno;
        close(lock_fd);
        if (saved != EWOULDBLOCK) {
            errno = saved;
            return LTM_EIO;
        }
    }
    return LTM_EFULL;
}
