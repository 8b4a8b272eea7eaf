#ifndef LTM_INSTANCE_SLOT_H
#define LTM_INSTANCE_SLOT_H

/* Numbered instance slots for replicas that share one data dir (docker
 * compose --scale on one host), whose host names change whenever a
 * container is re-created. A replica named after its host name would leave
 * its persistent broker session behind at each re-creation, and with it its
 * round-robin turn of the shared job subscription: the broker would keep
 * queueing jobs for a replica that never returns, until their leases.
 * Instead each replica holds the lowest numbered slot whose lock no live
 * process holds, so a re-created replica takes the id (and the session) of
 * the one it replaces. The lock is an flock(2) on DIR/SERVICE-N.lock: the
 * kernel frees it when the process ends, however it ends. */

/* Claims the lowest free slot 1..max_slots of SERVICE under DIR (created if
 * missing). On success *slot is its number and *fd the descriptor holding
 * the lock, to keep open for the life of the process (close() frees the
 * slot). LTM_EFULL when every slot is held, LTM_EIO when DIR or a lock file
 * cannot be created (errno says why). */
int ltm_instance_slot_claim(const char *dir, const char *service, int max_slots, int *slot,
                            int *fd);

#endif
