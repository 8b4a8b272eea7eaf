#ifndef NTF_QUEUE_H
#define NTF_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* The bounded queue of messages waiting for Telegram, persisted in the data
 * dir so a restart or an outage delays them and loses none. When it is full,
 * the two oldest entries of the lowest severity present are merged into one
 * summary entry (a one-line excerpt of each is kept): a critical entry is only ever
 * summarised when every entry is critical, and never dropped. */

typedef struct {
    uint64_t id;
    int severity;        /* NTF_INFO .. NTF_CRITICAL */
    char *text;          /* HTML, at most the message limit */
    int64_t created_ms;
    int attempts;
    int plain;           /* send without parse mode (after "can't parse entities") */
    unsigned merged;     /* how many original messages this entry stands for */
} ntf_entry;

typedef struct {
    ntf_entry *items;    /* oldest first */
    size_t count;
    size_t max;          /* >= 3 */
    size_t max_text;     /* message limit in bytes */
    uint64_t next_id;
    uint64_t summarised; /* original messages folded into summaries */
    int head_busy;       /* the head is being sent: never merge it */
} ntf_queue;

void ntf_queue_init(ntf_queue *q, size_t max, size_t max_text);
void ntf_queue_clear(ntf_queue *q);

/* Takes a copy of text (which must fit max_text). 0 or LTM_ENOMEM. */
int ntf_queue_push(ntf_queue *q, int severity, const char *text, int64_t now_ms);
ntf_entry *ntf_queue_head(ntf_queue *q);
void ntf_queue_pop(ntf_queue *q);

/* JSON text of the whole queue (caller frees) and back; a malformed file
 * gives LTM_EINVAL and leaves the queue empty. */
char *ntf_queue_serialize(const ntf_queue *q);
int ntf_queue_parse(ntf_queue *q, const char *json, size_t len);

#endif
