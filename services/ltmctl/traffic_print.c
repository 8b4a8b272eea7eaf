/* `ltmctl traffic` as tables for a person: one per ranking, and the posts
 * with their figures at each age (docs/ltmctl.md). */
#include "traffic_print.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longer themes and keys are cut in the tables (the JSON has them whole). */
#define CELL_CHARS 40
#define AGE_COLUMNS_MAX 8
#define COLUMNS_MAX (6 + 2 * AGE_COLUMNS_MAX)

/* ---- an aligned table ---------------------------------------------------- */

typedef struct {
    int columns, rows, capacity;
    char **cells;             /* rows x columns, each owned */
    int right[COLUMNS_MAX];   /* numbers are right-aligned */
    int cut[COLUMNS_MAX];     /* themes are cut to CELL_CHARS; ids never */
} table;

/* Characters, not bytes: a theme in UTF-8 still lines up. */
static size_t display_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A copy, cut to CELL_CHARS characters (at a character boundary) if cut. */
static char *cell_copy(const char *s, int cut_long)
{
    size_t bytes = 0, chars = 0;
    while (s[bytes] && (!cut_long || chars < CELL_CHARS)) {
        bytes++;
        while (((unsigned char)s[bytes] & 0xC0) == 0x80)
            bytes++;
        chars++;
    }
    int cut = s[bytes] != '\0';
    char *out = malloc(bytes + 4);
    if (out)
        snprintf(out, bytes + 4, "%.*s%s", (int)bytes, s, cut ? "..." : "");
    return out;
}

static void table_row(table *t, const char *const *cells)
{
    if (t->rows == t->capacity) {
        int cap = t->capacity ? t->capacity * 2 : 16;
        char **grown = realloc(t->cells, (size_t)cap * (size_t)t->columns * sizeof *grown);
        if (!grown)
            return; /* out of memory: the row is left out of a printout */
        t->cells = grown;
        t->capacity = cap;
    }
    for (int c = 0; c < t->columns; c++)
        t->cells[t->rows * t->columns + c] = cell_copy(cells[c] ? cells[c] : "", t->cut[c]);
    t->rows++;
}

static void table_print(FILE *out, table *t)
{
    size_t width[COLUMNS_MAX] = {0};
    for (int i = 0; i < t->rows * t->columns; i++) {
        size_t w = t->cells[i] ? display_width(t->cells[i]) : 0;
        if (w > width[i % t->columns])
            width[i % t->columns] = w;
    }
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->columns; c++) {
            const char *s = t->cells[r * t->columns + c] ? t->cells[r * t->columns + c] : "";
            int pad = (int)(width[c] - display_width(s));
            int last = c == t->columns - 1;
            if (t->right[c])
                fprintf(out, "%*s%s", pad, "", s);
            else
                fprintf(out, "%s%*s", s, last ? 0 : pad, "");
            fputs(last ? "\n" : "  ", out);
        }
    }
    for (int i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* ---- values ---------------------------------------------------------------- */

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A count or a median (a median of an even count may end in .5); "-" when
 * absent or null: a figure the channel does not offer. */
static const char *number(const cJSON *o, const char *key, char *buf, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return "-";
    double d = v->valuedouble;
    if (d == (double)(int64_t)d)
        snprintf(buf, size, "%lld", (long long)d);
    else
        snprintf(buf, size, "%.1f", d);
    return buf;
}

/* 3600000 -> "1h", 86400000 -> "1d", 2000 -> "2s". */
static void format_age(double ms, char *out, size_t size)
{
    static const struct {
        double ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms >= units[i].ms && ms / units[i].ms == (double)(int64_t)(ms / units[i].ms)) {
            snprintf(out, size, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(out, size, "%lldms", (long long)ms);
}

/* "2026-12-01T09:00:03.000Z" -> "2026-12-01 09:00:03". */
static void format_instant(const char *iso, char *out, size_t size)
{
    snprintf(out, size, "%.19s", iso);
    char *t = strchr(out, 'T');
    if (t)
        *t = ' ';
}

/* ---- rankings ------------------------------------------------------------ */

/* The age one kind's posts are compared at: "24h", or "" without one (its
 * checks are off); 0 when the reply does not say (an older scheduler). */
static int kind_age(const cJSON *ages, const char *kind, char *out, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ages, kind);
    out[0] = '\0';
    if (cJSON_IsNumber(v))
        format_age(v->valuedouble, out, size);
    return cJSON_IsNumber(v) || cJSON_IsNull(v);
}

/* ", figures at 24h" after each ranking's title: which reading of each post
 * was compared. */
static void ages_suffix(const cJSON *reply, char *out, size_t size)
{
    const cJSON *ages = cJSON_GetObjectItemCaseSensitive(reply, "ages");
    const char *only = str(reply, "kind");
    char post[16], story[16];
    out[0] = '\0';
    if (!kind_age(ages, "post", post, sizeof post) || !kind_age(ages, "story", story, sizeof story))
        return;
    if (strcmp(only, "story") == 0)
        snprintf(post, sizeof post, "%s", story);
    if (only[0] || strcmp(post, story) == 0) {
        if (post[0])
            snprintf(out, size, ", figures at %s", post);
        else
            snprintf(out, size, ", no figures: engagement checks are off");
    } else if (post[0] && story[0]) {
        snprintf(out, size, ", figures at %s (posts), %s (stories)", post, story);
    } else {
        snprintf(out, size, ", figures at %s (%s); %s: checks off, all unread",
                 post[0] ? post : story, post[0] ? "posts" : "stories",
                 post[0] ? "stories" : "posts");
    }
}

static void print_ranking(FILE *out, const cJSON *reply, const char *title, const char *what)
{
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(reply, "rankings"), what);
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(reply, "rows_total"), what);
    char ages[96];
    ages_suffix(reply, ages, sizeof ages);
    fprintf(out, "\n%s%s\n", title, ages);
    if (cJSON_GetArraySize(rows) == 0) {
        fputs("  (none)\n", out);
        return;
    }
    int slots = strcmp(what, "slots") == 0;
    table t = {.columns = slots ? 9 : 7};
    const char *head[9];
    int c = 0;
    if (slots) {
        head[c++] = "ACCOUNT";
        head[c++] = "KIND";
        head[c++] = "SLOT";
    } else {
        head[c++] = strcmp(what, "accounts") == 0 ? "ACCOUNT" : "THEME";
    }
    t.cut[0] = strcmp(what, "themes") == 0;
    int first_number = c;
    head[c++] = "POSTS";
    head[c++] = "UNREAD";
    head[c++] = "MEDIAN ENG";
    head[c++] = "MEDIAN IMPR";
    head[c++] = "TOTAL ENG";
    head[c++] = "BEST POST";
    for (int i = first_number; i < first_number + 5; i++)
        t.right[i] = 1;
    table_row(&t, head);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        char b[5][32], slot[16];
        const char *cells[9];
        c = 0;
        if (slots) {
            snprintf(slot, sizeof slot, "%s %s", str(r, "weekday"), str(r, "time"));
            cells[c++] = str(r, "account");
            cells[c++] = str(r, "kind");
            cells[c++] = slot;
        } else {
            cells[c++] = str(r, "key");
        }
        cells[c++] = number(r, "posts", b[0], sizeof b[0]);
        cells[c++] = number(r, "unread", b[1], sizeof b[1]);
        cells[c++] = number(r, "median_engagement", b[2], sizeof b[2]);
        cells[c++] = number(r, "median_impressions", b[3], sizeof b[3]);
        cells[c++] = number(r, "total_engagement", b[4], sizeof b[4]);
        cells[c++] = str(r, "best_post")[0] ? str(r, "best_post") : "-";
        table_row(&t, cells);
    }
    table_print(out, &t);
    if (cJSON_IsNumber(total) && total->valueint > cJSON_GetArraySize(rows))
        fprintf(out, "(the top %d of %d rows)\n", cJSON_GetArraySize(rows), total->valueint);
}

/* ---- posts ----------------------------------------------------------------- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The ages read among the posts, youngest first, at most max. */
static int collect_ages(const cJSON *posts, double *ages, int max, int *more)
{
    int n = 0;
    *more = 0;
    const cJSON *p, *r;
    cJSON_ArrayForEach(p, posts) {
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, "readings")) {
            const cJSON *age = cJSON_GetObjectItemCaseSensitive(r, "age_ms");
            if (!cJSON_IsNumber(age))
                continue;
            int k = 0;
            while (k < n && ages[k] != age->valuedouble)
                k++;
            if (k < n)
                continue;
            if (n == max)
                *more = 1;
            else
                ages[n++] = age->valuedouble;
        }
    }
    qsort(ages, (size_t)n, sizeof *ages, compare_double);
    return n;
}

static const cJSON *reading_at(const cJSON *post, double age)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(post, "readings")) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "age_ms");
        if (cJSON_IsNumber(a) && a->valuedouble == age)
            return r;
    }
    return NULL;
}

/* Engagement, or "-" when the channel offers none of its figures. */
static const char *engagement(const cJSON *reading, char *buf, size_t size)
{
    static const char *const parts[] = {"reactions", "comments", "shares", "saves"};
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(reading, "figures");
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, parts[i])))
            return number(reading, "engagement", buf, size);
    }
    return "-";
}

static void print_posts(FILE *out, const cJSON *posts)
{
    fputs("\nPosts (newest first; figures at each age after publishing, - = not offered or not "
          "read)\n", out);
    if (cJSON_GetArraySize(posts) == 0) {
        fputs("  (none)\n", out);
        return;
    }
    double ages[AGE_COLUMNS_MAX];
    int more, n = collect_ages(posts, ages, AGE_COLUMNS_MAX, &more);
    table t = {.columns = 6 + 2 * n, .cut = {[4] = 1}};
    char head[2 * AGE_COLUMNS_MAX][32];
    const char *cells[COLUMNS_MAX] = {"PUBLISHED (UTC)", "ACCOUNT", "KIND",
                                      "SLOT",            "THEME",   "STATE"};
    for (int i = 0; i < n; i++) {
        char age[16];
        format_age(ages[i], age, sizeof age);
        snprintf(head[2 * i], sizeof head[0], "%s IMPR", age);
        snprintf(head[2 * i + 1], sizeof head[0], "%s ENG", age);
        cells[6 + 2 * i] = head[2 * i];
        cells[7 + 2 * i] = head[2 * i + 1];
        t.right[6 + 2 * i] = t.right[7 + 2 * i] = 1;
    }
    table_row(&t, cells);
    const cJSON *p;
    cJSON_ArrayForEach(p, posts) {
        char published[24], slot[16], figures[2 * AGE_COLUMNS_MAX][32];
        format_instant(str(p, "published_at"), published, sizeof published);
        snprintf(slot, sizeof slot, "%s %s", str(p, "weekday"), str(p, "time"));
        cells[0] = published;
        cells[1] = str(p, "account");
        cells[2] = str(p, "kind");
        cells[3] = slot;
        cells[4] = str(p, "theme")[0] ? str(p, "theme") : "(none)";
        cells[5] = str(p, "state");
        for (int i = 0; i < n; i++) {
            const cJSON *r = reading_at(p, ages[i]);
            cells[6 + 2 * i] = r ? number(cJSON_GetObjectItemCaseSensitive(r, "figures"),
                                          "impressions", figures[2 * i], sizeof figures[0])
                                 : "-";
            cells[7 + 2 * i] = r ? engagement(r, figures[2 * i + 1], sizeof figures[0]) : "-";
        }
        table_row(&t, cells);
    }
    table_print(out, &t);
    if (more)
        fprintf(out, "(only the %d youngest ages shown; --json has them all)\n", AGE_COLUMNS_MAX);
}

void ltmctl_print_traffic(FILE *out, const cJSON *reply)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "days");
    int days = cJSON_IsNumber(v) ? v->valueint : 0;
    char total[32], unread[32], since[24];
    format_instant(str(reply, "since"), since, sizeof since);
    fprintf(out, "Traffic of the last %d days (since %s UTC", days, since);
    if (str(reply, "account")[0])
        fprintf(out, ", account %s", str(reply, "account"));
    if (str(reply, "kind")[0])
        fprintf(out, ", %ss only", str(reply, "kind"));
    fprintf(out, "): %s posts, %s not read yet\n",
            number(reply, "posts_total", total, sizeof total),
            number(reply, "unread", unread, sizeof unread));
    fputs("Ranked by median engagement (reactions + comments + shares + saves), all posts at "
          "one age;\na post not read at that age yet is unread\n", out);
    print_ranking(out, reply, "Accounts", "accounts");
    print_ranking(out, reply, "Slots (the account's local weekday and time)", "slots");
    print_ranking(out, reply, "Themes", "themes");
    const cJSON *posts = cJSON_GetObjectItemCaseSensitive(reply, "posts");
    if (cJSON_IsArray(posts))
        print_posts(out, posts);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "truncated")))
        fputs("(the reply reached its size limit: the oldest posts, then the lowest rows, were "
              "left out; use --days, --account, --kind or --limit)\n", out);
}
