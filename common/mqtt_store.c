/* The MQTT client's persistence: files, and memory when the disk refuses a
 * write (include/ltm/mqtt_store.h says why). */
#include "ltm/mqtt_store.h"

#include "ltm/fsutil.h"
#include "ltm/log.h"

#include <MQTTAsync.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_ERROR (-2) /* MQTTCLIENT_PERSISTENCE_ERROR */
#define EXT ".msg"

typedef struct held {
    struct held *next;
    char *key;
    char *data;
    int len;
} held;

struct ltm_mqtt_store {
    pthread_mutex_t lock;
    char *base;
    char *dir; /* the client's own directory, once opened */
    held *memory;
    size_t in_memory;
    uint64_t failures;
    int failing; /* the last write failed: the next success logs the recovery */
};

ltm_mqtt_store *ltm_mqtt_store_new(const char *base_dir)
{
    ltm_mqtt_store *s = calloc(1, sizeof *s);
    if (!s || !(s->base = strdup(base_dir))) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void drop_all(ltm_mqtt_store *s)
{
    while (s->memory) {
        held *h = s->memory;
        s->memory = h->next;
        free(h->key);
        free(h->data);
        free(h);
    }
    s->in_memory = 0;
}

void ltm_mqtt_store_free(ltm_mqtt_store *s)
{
    if (!s)
        return;
    drop_all(s);
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s->base);
    free(s);
}

uint64_t ltm_mqtt_store_write_failures(ltm_mqtt_store *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->failures;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t ltm_mqtt_store_in_memory(ltm_mqtt_store *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->in_memory;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Paho's own name for the directory: "tcp://127.0.0.1:1883" becomes
 * "<client id>-127.0.0.1-1883", so messages it persisted are found. */
int ltm_mqtt_store_open(void **handle, const char *client_id, const char *server_uri,
                        void *context)
{
    ltm_mqtt_store *s = context;
    const char *host = strstr(server_uri, "://");
    host = host ? host + 3 : server_uri;
    size_t len = strlen(s->base) + strlen(client_id) + strlen(host) + 3;
    char *dir = malloc(len);
    if (!dir)
        return STORE_ERROR;
    int n = snprintf(dir, len, "%s/%s-", s->base, client_id);
    for (const char *p = host; *p; p++)
        dir[n++] = (*p == ':' || *p == '/') ? '-' : *p;
    dir[n] = '\0';
    /* A directory that cannot be made (read-only disk) leaves every message
     * in memory until it can: put() tries again each time. */
    ltm_mkdirs(dir, 0750);
    pthread_mutex_lock(&s->lock);
    free(s->dir);
    s->dir = dir;
    pthread_mutex_unlock(&s->lock);
    *handle = s;
    return 0;
}

int ltm_mqtt_store_close(void *handle)
{
    ltm_mqtt_store *s = handle;
    pthread_mutex_lock(&s->lock);
    if (s->dir)
        rmdir(s->dir); /* only when empty, as Paho does */
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int path_of(const ltm_mqtt_store *s, const char *key, char *out, size_t size)
{
    if (!s->dir || strchr(key, '/'))
        return -1;
    int n = snprintf(out, size, "%s/%s" EXT, s->dir, key);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static held **find_held(ltm_mqtt_store *s, const char *key)
{
    held **p = &s->memory;
    while (*p && strcmp((*p)->key, key) != 0)
        p = &(*p)->next;
    return p;
}

static void forget_held(ltm_mqtt_store *s, const char *key)
{
    held **p = find_held(s, key);
    if (*p) {
        held *h = *p;
        *p = h->next;
        free(h->key);
        free(h->data);
        free(h);
        s->in_memory--;
    }
}

static int write_file(const char *path, const char *data, int len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, (size_t)(len - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(path); /* a partial message must not be restored */
            errno = e;
            return -1;
        }
        off += (int)w;
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(path);
        errno = e;
        return -1;
    }
    return 0;
}

int ltm_mqtt_store_put(void *handle, char *key, int bufcount, char *buffers[], int buflens[])
{
    ltm_mqtt_store *s = handle;
    long long total = 0;
    for (int i = 0; i < bufcount; i++)
        total += buflens[i] > 0 ? buflens[i] : 0;
    if (total > 0x7fffffff)
        return STORE_ERROR;
    char *data = malloc(total ? (size_t)total : 1);
    if (!data)
        return STORE_ERROR;
    int off = 0;
    for (int i = 0; i < bufcount; i++) {
        if (buflens[i] > 0) {
            memcpy(data + off, buffers[i], (size_t)buflens[i]);
            off += buflens[i];
        }
    }
    pthread_mutex_lock(&s->lock);
    char path[4096];
    int err = ENAMETOOLONG;
    if (s->failing && s->dir && ltm_mkdirs(s->dir, 0750) != 0)
        err = errno;
    else if (path_of(s, key, path, sizeof path) == 0 && write_file(path, data, off) == 0) {
        forget_held(s, key);
        int recovered = s->failing;
        s->failing = 0;
        pthread_mutex_unlock(&s->lock);
        free(data);
        if (recovered)
            ltm_info("mqtt persistence writes to disk again", "held_in_memory",
                     LTM_INT(ltm_mqtt_store_in_memory(s)));
        return 0;
    } else {
        err = errno;
    }
    held **p = find_held(s, key);
    if (!*p) {
        held *h = calloc(1, sizeof *h);
        char *k = strdup(key);
        if (!h || !k) {
            free(h);
            free(k);
            pthread_mutex_unlock(&s->lock);
            free(data);
            return STORE_ERROR;
        }
        h->key = k;
        *p = h;
        s->in_memory++;
    }
    free((*p)->data);
    (*p)->data = data;
    (*p)->len = off;
    s->failures++;
    int first = !s->failing;
    s->failing = 1;
    uint64_t failures = s->failures;
    pthread_mutex_unlock(&s->lock);
    if (first)
        ltm_error("mqtt persistence cannot write to disk; unacknowledged messages are kept in "
                  "memory until it can (a crash meanwhile leaves them to the leases)",
                  "error", strerror(err), "failures", LTM_INT(failures));
    return 0;
}

int ltm_mqtt_store_get(void *handle, char *key, char **buffer, int *buflen)
{
    ltm_mqtt_store *s = handle;
    pthread_mutex_lock(&s->lock);
    held *h = *find_held(s, key);
    if (h) {
        char *copy = MQTTAsync_malloc(h->len ? (size_t)h->len : 1);
        if (copy)
            memcpy(copy, h->data, (size_t)h->len);
        *buffer = copy;
        *buflen = h->len;
        pthread_mutex_unlock(&s->lock);
        return copy ? 0 : STORE_ERROR;
    }
    char path[4096];
    int ok = path_of(s, key, path, sizeof path) == 0;
    pthread_mutex_unlock(&s->lock);
    char *data = NULL;
    size_t len = 0;
    if (!ok || ltm_read_file(path, 0x7fffffff, &data, &len) != 0)
        return STORE_ERROR;
    char *copy = MQTTAsync_malloc(len ? len : 1);
    if (copy)
        memcpy(copy, data, len);
    free(data);
    *buffer = copy;
    *buflen = (int)len;
    return copy ? 0 : STORE_ERROR;
}

int ltm_mqtt_store_remove(void *handle, char *key)
{
    ltm_mqtt_store *s = handle;
    pthread_mutex_lock(&s->lock);
    forget_held(s, key);
    char path[4096];
    if (path_of(s, key, path, sizeof path) == 0)
        unlink(path);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int add_key(char ***keys, int *n, int *cap, const char *key, size_t len)
{
    for (int i = 0; i < *n; i++) {
        if (strlen((*keys)[i]) == len && strncmp((*keys)[i], key, len) == 0)
            return 0;
    }
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        char **p = realloc(*keys, (size_t)c * sizeof *p);
        if (!p)
            return -1;
        *keys = p;
        *cap = c;
    }
    char *k = strndup(key, len);
    if (!k)
        return -1;
    (*keys)[(*n)++] = k;
    return 0;
}

static void free_keys(char **keys, int n)
{
    for (int i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static int collect_keys(ltm_mqtt_store *s, char ***keys, int *nkeys)
{
    char **out = NULL;
    int n = 0, cap = 0, rc = 0;
    pthread_mutex_lock(&s->lock);
    for (held *h = s->memory; h && rc == 0; h = h->next)
        rc = add_key(&out, &n, &cap, h->key, strlen(h->key));
    DIR *d = s->dir ? opendir(s->dir) : NULL;
    struct dirent *e;
    while (rc == 0 && d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > strlen(EXT) && strcmp(e->d_name + len - strlen(EXT), EXT) == 0)
            rc = add_key(&out, &n, &cap, e->d_name, len - strlen(EXT));
    }
    if (d)
        closedir(d);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        free_keys(out, n);
        return STORE_ERROR;
    }
    *keys = out;
    *nkeys = n;
    return 0;
}

/* What Paho frees, it must have allocated: its free() of a debug-heap build
 * leaves alone (leaks) memory it does not know. */
int ltm_mqtt_store_keys(void *handle, char ***keys, int *nkeys)
{
    char **mine = NULL;
    int n = 0;
    if (collect_keys(handle, &mine, &n) != 0)
        return STORE_ERROR;
    char **out = n ? MQTTAsync_malloc((size_t)n * sizeof *out) : NULL;
    int copied = 0;
    for (; out && copied < n; copied++) {
        size_t len = strlen(mine[copied]) + 1;
        if (!(out[copied] = MQTTAsync_malloc(len)))
            break;
        memcpy(out[copied], mine[copied], len);
    }
    free_keys(mine, n);
    if (copied < n) {
        for (int i = 0; out && i < copied; i++)
            MQTTAsync_free(out[i]);
        MQTTAsync_free(out);
        return STORE_ERROR;
    }
    *keys = out;
    *nkeys = n;
    return 0;
}

int ltm_mqtt_store_clear(void *handle)
{
    ltm_mqtt_store *s = handle;
    char **keys = NULL;
    int n = 0;
    if (collect_keys(s, &keys, &n) != 0)
        return STORE_ERROR;
    for (int i = 0; i < n; i++)
        ltm_mqtt_store_remove(s, keys[i]);
    free_keys(keys, n);
    return 0;
}

int ltm_mqtt_store_contains(void *handle, char *key)
{
    ltm_mqtt_store *s = handle;
    pthread_mutex_lock(&s->lock);
    int found = *find_held(s, key) != NULL;
    char path[4096];
    if (!found && path_of(s, key, path, sizeof path) == 0)
        found = access(path, F_OK) == 0;
    pthread_mutex_unlock(&s->lock);
    return found ? 0 : STORE_ERROR;
}
