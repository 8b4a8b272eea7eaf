/* The workers' HTTP layer over curl's multi interface (http.h). */
#include "publishing/http.h"
#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *data;
    size_t len, cap, max;
    int truncated;
} buffer;

typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    buffer body, head;
    ltm_http_callback callback;
    void *ctx;
    int64_t started_ms;
    struct transfer *prev, *next;
} transfer;

struct ltm_http {
    CURLM *multi;
    transfer *running;
    size_t count;
};

static int global_ready;

int ltm_http_new(ltm_http **out)
{
    /* curl_global_init is not thread-safe before 7.84; every service calls
     * this from main before it starts other work, which is enough. */
    if (!global_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return LTM_EIO;
        global_ready = 1;
    }
    ltm_http *h = calloc(1, sizeof *h);
    if (!h)
        return LTM_ENOMEM;
    h->multi = curl_multi_init();
    if (!h->multi) {
        free(h);
        return LTM_ENOMEM;
    }
    *out = h;
    return LTM_OK;
}

static void transfer_free(ltm_http *h, transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        h->running = t->next;
    if (t->next)
        t->next->prev = t->prev;
    h->count--;
    curl_multi_remove_handle(h->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body.data);
    free(t->head.data);
    free(t);
}

void ltm_http_free(ltm_http *h)
{
    if (!h)
        return;
    while (h->running)
        transfer_free(h, h->running);
    curl_multi_cleanup(h->multi);
    free(h);
}

size_t ltm_http_running(const ltm_http *h) { return h->count; }

static size_t buffer_add(buffer *b, const char *data, size_t n)
{
    if (b->len + n > b->max) {
        /* Keep what fits and say so: a caller must not mistake a cut answer
         * for a whole one. Returning n keeps the transfer going so the
         * status line and headers still arrive. */
        b->truncated = 1;
        n = b->max > b->len ? b->max - b->len : 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t n = size * nmemb;
    if (n && buffer_add(&t->body, data, n) == 0 && !t->body.truncated)
        return 0; /* out of memory: abort the transfer */
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t n = size * nmemb;
    /* A new status line starts the headers of a later answer (100 Continue,
     * a followed redirect): only the final answer's headers count. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        t->head.len = 0;
    if (buffer_add(&t->head, data, n) == 0 && n)
        return 0;
    return n;
}

static int setup(transfer *t, const ltm_http_request *r)
{
    CURL *e = t->easy;
    int rc = 0;
    rc |= curl_easy_setopt(e, CURLOPT_URL, r->url);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, r->follow_redirects ? 1L : 0L);
    rc |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (r->fresh_connection)
        rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                           r->connect_timeout_ms > 0 ? r->connect_timeout_ms : 10000L);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 30000L);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "ltm/1");
    rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (strcmp(r->method, "GET") != 0)
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r->body ? r->body : "");
    }
    /* Expect: 100-continue would add a round trip to every large body. */
    struct curl_slist *l = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; l && i < r->header_count; i++) {
        struct curl_slist *n = curl_slist_append(l, r->headers[i]);
        if (!n) {
            curl_slist_free_all(l);
            l = NULL;
        }
        l = n;
    }
    if (!l)
        return LTM_ENOMEM;
    t->headers = l;
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
    return rc ? LTM_EINVAL : LTM_OK;
}

int ltm_http_submit(ltm_http *h, const ltm_http_request *r, ltm_http_callback cb, void *ctx)
{
    if (!r->url || !r->method || !cb)
        return LTM_EINVAL;
    transfer *t = calloc(1, sizeof *t);
    if (!t)
        return LTM_ENOMEM;
    t->easy = curl_easy_init();
    t->callback = cb;
    t->ctx = ctx;
    t->body.max = r->max_body ? r->max_body : 1u << 20;
    t->head.max = 64 * 1024;
    t->started_ms = ltm_mono_ms();
    int rc = t->easy ? setup(t, r) : LTM_ENOMEM;
    if (rc == LTM_OK && curl_multi_add_handle(h->multi, t->easy) != CURLM_OK)
        rc = LTM_ENOMEM;
    if (rc != LTM_OK) {
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        free(t);
        return rc;
    }
    t->next = h->running;
    if (h->running)
        h->running->prev = t;
    h->running = t;
    h->count++;
    return LTM_OK;
}

static void finish(ltm_http *h, transfer *t, CURLcode code)
{
    ltm_http_response r = {0};
    long request_size = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    r.sent = request_size > 0;
    if (code != CURLE_OK) {
        r.transport_error = (int)code;
        snprintf(r.transport_msg, sizeof r.transport_msg, "%s", curl_easy_strerror(code));
        /* An answer cut short is no answer: the caller must not act on a
         * status whose body never fully arrived. */
        r.status = 0;
    }
    static char empty[1] = "";
    r.body = t->body.data ? t->body.data : empty;
    r.body_len = t->body.len;
    r.truncated = t->body.truncated;
    r.headers = t->head.data ? t->head.data : empty;
    r.elapsed_ms = ltm_mono_ms() - t->started_ms;
    ltm_http_callback cb = t->callback;
    void *ctx = t->ctx;
    /* Detach before the callback, which may submit new requests. */
    char *body = t->body.data, *head = t->head.data;
    t->body.data = t->head.data = NULL;
    transfer_free(h, t);
    cb(ctx, &r);
    free(body);
    free(head);
}

int ltm_http_run(ltm_http *h, int extra_fd, int timeout_ms, int *extra_ready)
{
    struct curl_waitfd extra = {.fd = extra_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
    int numfds = 0;
    if (timeout_ms < 0)
        timeout_ms = 0;
    curl_multi_poll(h->multi, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0, timeout_ms,
                    &numfds);
    if (extra_ready)
        *extra_ready = extra_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN);
    int still = 0;
    curl_multi_perform(h->multi, &still);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t)
            finish(h, t, msg->data.result);
    }
    return (int)h->count;
}

char *ltm_http_header(const char *headers, const char *name)
{
    size_t nlen = strlen(name);
    const char *found = NULL;
    size_t found_len = 0;
    for (const char *line = headers; line && *line;) {
        const char *end = strpbrk(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            const char *ve = line + len;
            while (v < ve && isspace((unsigned char)*v))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            found = v;
            found_len = (size_t)(ve - v);
        }
        if (!end)
            break;
        line = end + strspn(end, "\r\n");
    }
    if (!found)
        return NULL;
    return strndup(found, found_len);
}
