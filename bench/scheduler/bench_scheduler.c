/* Benchmark of ltm-scheduler's core with 100,000 slots (issue 5 item 8):
 * startup time and memory, dispatch lateness p50/p99 over one simulated day,
 * result throughput, and the time-zone arithmetic measured side by side with
 * the setenv("TZ")+tzset+mktime alternative it replaced.
 *
 *   bench-scheduler [ledger-path]     (default ./bench-ledger.db, on disk)
 *   bench-scheduler --burst N [--accounts A] [--ahead MS] [--ledger path]
 *   bench-scheduler --checks N [--accounts A] [--budget SPEC] [--ledger path]
 *   bench-scheduler --traffic N [--ledger path]
 *
 * The burst mode (issue 14 item 6) gives A accounts (default N/2) N slots due at the same
 * instant (a post and, when N > A, a story per account: one account has at
 * most one slot per kind and minute), runs the engine on the real clock the
 * way ltm-scheduler's loop does (sleep until engine_next_wake, then
 * engine_run) and prints one line:
 *   burst jobs=N accounts=A ahead_ms=MS p50_ms=... p99_ms=... max_ms=... first_ms=... armed_ms=...
 * where each figure is the time the job was handed to the publish callback
 * minus its slot instant, and armed_ms the time the engine worked before
 * the instant (recording the burst ahead). --ahead is LTM_DISPATCH_AHEAD (default 10000;
 * 0 is the design before issue 14: each batch recorded at the slot, then
 * published). The engine's clock is the real monotonic clock
 * shifted so that the slot falls 3 s after the start (no waiting for a real
 * minute boundary); everything else, fsyncs included, is real.
 *
 * The checks mode (issue 15) records N published results of post jobs in
 * flight (N posts over A accounts, linkedin and instagram alternating; each
 * result records the post and its checks), then runs the loop as the burst
 * mode does over the instant at which all their first-age checks fall due:
 *   checks results=N accounts=A budget=... result_ms_p50=... result_ms_p99=...
 *   checks dispatched=... deferred=... p50_ms=... p99_ms=... max_ms=...
 * lateness being the time a check was handed to the publish callback minus
 * its due instant. --budget is LTM_ENGAGEMENT_BUDGET (default: the
 * setting's default).
 *
 * The traffic mode (issue 15) fills a ledger with N posts (at most 107,400)
 * over 100 accounts posting at 3 daily times each, one post per time and
 * day back from a week ago, three readings each, and times commands_handle with
 * {"command":"traffic","days":365}, the work that blocks the scheduler's
 * loop while an operator runs ltmctl traffic:
 *   traffic posts=N runs=R min_ms=... median_ms=... max_ms=... reply_bytes=...
 *
 * The simulated day jumps the clock to each next due instant instead of
 * sleeping (the real loop sleeps with poll(2) until that instant); what is
 * measured is the real time from the wake-up to the publish of each job,
 * which includes the ledger commit (one fsync per batch). */
#include "accounts.h"
#include "commands.h"
#include "engagement.h"
#include "engine.h"
#include "ledger.h"
#include "ledger_files_test.h"

#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNTS 20000
#define POSTS 3
#define STORIES 2

static const char *const zones[] = {
    "UTC", "Europe/Berlin", "Europe/London", "Europe/Lisbon", "Europe/Moscow",
    "America/Sao_Paulo", "America/New_York", "America/Chicago", "America/Denver",
    "America/Los_Angeles", "America/Mexico_City", "America/Bogota", "America/Santiago",
    "Asia/Tokyo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Dubai", "Asia/Singapore",
    "Australia/Sydney", "Australia/Adelaide", "Pacific/Auckland", "Africa/Lagos",
    "Africa/Johannesburg", "Asia/Kathmandu",
};
#define NZONES (sizeof zones / sizeof zones[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0)
            v = strtol(line + n + 1, NULL, 10);
    }
    if (f)
        fclose(f);
    return v;
}

/* Round quarter-hours between 06:00 and 22:00: people pick round times,
 * which is what makes bursts. */
static void random_time(char out[8])
{
    int minute = 6 * 60 + (rand() % 64) * 15;
    snprintf(out, 8, "%02d:%02d", minute / 60 % 24, minute % 60);
}

static char *make_accounts(void)
{
    size_t cap = (size_t)ACCOUNTS * 200, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "{\"accounts\":[");
    for (int i = 0; i < ACCOUNTS; i++) {
        char t[POSTS + STORIES][8];
        for (int k = 0; k < POSTS + STORIES; k++) {
            random_time(t[k]);
            for (int j = 0; j < k; j++) {
                if (strcmp(t[j], t[k]) == 0 && (k < POSTS) == (j < POSTS)) {
                    k--; /* the same time twice in one list is invalid */
                    break;
                }
            }
        }
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"name\":\"acct-%d\",\"timezone\":\"%s\",\"schedule\":"
                                "{\"posts\":[\"%s\",\"%s\",\"%s\"],\"stories\":[\"%s\",\"%s\"]}}",
                                i ? "," : "", i, zones[i % NZONES], t[0], t[1], t[2], t[3], t[4]);
    }
    snprintf(s + len, cap - len, "]}");
    return s;
}

static double *lateness;
static size_t nlate;
static double wake_at;

static int on_publish(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    (void)topic;
    lateness[nlate++] = (now_s() - wake_at) * 1000.0;
    free(json);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double p)
{
    size_t i = (size_t)(p * (double)(nlate - 1));
    return lateness[i];
}

/* The alternative: the C library's local time, switching the process-wide
 * TZ per slot (interleaved) or per zone (grouped). */
static double bench_libc(const sched_accounts *a, int grouped, int64_t after_ms)
{
    double t0 = now_s();
    volatile int64_t sink = 0;
    for (size_t z = 0; z < (grouped ? NZONES : 1); z++) {
        for (size_t i = 0; i < a->count; i++) {
            const sched_account *acc = &a->items[i];
            if (grouped && strcmp(sched_tz_name(acc->tz), zones[z]) != 0)
                continue;
            if (!grouped || i < NZONES) {
                setenv("TZ", sched_tz_name(acc->tz), 1);
                tzset();
            }
            for (size_t k = 0; k < acc->post_count + acc->story_count; k++) {
                int m = k < acc->post_count ? acc->post_minutes[k]
                                            : acc->story_minutes[k - acc->post_count];
                time_t t = (time_t)(after_ms / 1000);
                struct tm tm;
                localtime_r(&t, &tm);
                tm.tm_hour = m / 60;
                tm.tm_min = m % 60;
                tm.tm_sec = 0;
                tm.tm_isdst = -1;
                sink += mktime(&tm);
            }
        }
    }
    (void)sink;
    unsetenv("TZ");
    tzset();
    return now_s() - t0;
}

static double bench_glib(const sched_accounts *a, int64_t after_ms)
{
    double t0 = now_s();
    volatile int64_t sink = 0;
    for (size_t i = 0; i < a->count; i++) {
        const sched_account *acc = &a->items[i];
        for (size_t k = 0; k < acc->post_count + acc->story_count; k++) {
            int m = k < acc->post_count ? acc->post_minutes[k]
                                        : acc->story_minutes[k - acc->post_count];
            sink += sched_next_fire(acc->tz, acc->weekdays, m, after_ms);
        }
    }
    (void)sink;
    return now_s() - t0;
}

static double first_of_burst[4096];
static size_t bursts, largest_burst;

static void simulate_day(engine *e, int64_t start)
{
    int64_t now = start, end = start + 86400000LL;
    while (now < end) {
        now += engine_next_wake(e, now, end - now);
        wake_at = now_s();
        size_t before = nlate;
        if (engine_run(e, now) != LTM_OK) {
            fprintf(stderr, "engine_run failed\n");
            exit(1);
        }
        if (nlate > before && bursts < 4096) {
            first_of_burst[bursts++] = lateness[before];
            if (nlate - before > largest_burst)
                largest_burst = nlate - before;
        }
    }
}

static void results_throughput(engine *e, int n)
{
    cJSON *jobs = NULL;
    ledger_jobs_json(engine_ledger(e), NULL, 0, n, &jobs);
    double t0 = now_s();
    int done = 0;
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs) {
        ltm_result r = {0};
        r.job_id = cJSON_GetObjectItem(j, "job_id")->valuestring;
        ltm_job_kind_parse(cJSON_GetObjectItem(j, "kind")->valuestring, &r.kind);
        r.account = cJSON_GetObjectItem(j, "account")->valuestring;
        r.attempt = 1;
        r.status = LTM_RESULT_PUBLISHED;
        r.final = 1;
        r.worker = "bench-worker";
        engine_on_result(e, &r, 0);
        done++;
    }
    double dt = now_s() - t0;
    printf("results: %d recorded in %.2f s = %.2f ms per result (one transaction + fsync each)\n",
           done, dt, dt * 1000.0 / done);
    cJSON_Delete(jobs);
}


/* ---- burst mode --------------------------------------------------------- */

static double clock_shift_ms;

static int64_t engine_now(void) { return (int64_t)(now_s() * 1000.0 + clock_shift_ms); }

static int64_t burst_slot_ms;

static int on_burst_publish(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    (void)topic;
    lateness[nlate++] = now_s() * 1000.0 + clock_shift_ms - (double)burst_slot_ms;
    free(json);
    return 0;
}

static int run_burst(int jobs, int accounts, int64_t ahead_ms, const char *path)
{
    if (accounts < 1 || jobs < 1 || jobs > 2 * accounts) {
        fprintf(stderr, "bench-scheduler: --burst N needs N <= 2 x --accounts (one post and one "
                        "story slot per account and minute)\n");
        return 2;
    }
    remove_ledger(path);
    ltm_log_init("bench", LTM_LOG_ERROR, LTM_LOG_TEXT);
    /* 2026-11-23T09:00:00Z, 3 s (or the arming time + 0.5 s) after the
     * start on the engine's clock. */
    burst_slot_ms = 1795424400000LL;
    double lead_ms = ahead_ms + 500 > 3000 ? (double)ahead_ms + 500.0 : 3000.0;
    clock_shift_ms = (double)burst_slot_ms - lead_ms - now_s() * 1000.0;
    size_t cap = (size_t)accounts * 120 + 64, len = 0;
    char *json = malloc(cap);
    len += (size_t)snprintf(json + len, cap - len, "{\"accounts\":[");
    for (int i = 0; i < accounts; i++)
        len += (size_t)snprintf(json + len, cap - len,
                                "%s{\"name\":\"acct-%d\",\"timezone\":\"UTC\",\"schedule\":"
                                "{\"posts\":[\"09:00\"]%s}}",
                                i ? "," : "", i, i < jobs - accounts ? ",\"stories\":[\"09:00\"]" : "");
    snprintf(json + len, cap - len, "]}");
    sched_accounts a;
    char err[300];
    ledger *l;
    if (sched_accounts_parse(json, strlen(json), &a, err, sizeof err) != LTM_OK ||
        ledger_open(path, &l, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    free(json);
    engine_settings s = {.max_attempts = 3, .post_base_ms = 30000, .story_base_ms = 60000,
                         .report_base_ms = 60000, .lease_ms = 600000, .grace_ms = 3600000,
                         .rate_limit_ms = 900000, .report_minute = -1,
                         .dispatch_ahead_ms = ahead_ms};
    lateness = malloc((size_t)jobs * sizeof *lateness);
    engine *e;
    if (engine_new(&s, &a, l, on_burst_publish, NULL, "bench", &e) != LTM_OK ||
        engine_start(e, engine_now()) != LTM_OK) {
        fprintf(stderr, "engine start failed\n");
        return 1;
    }
    /* The service's loop: poll(2) with a ms timeout, then engine_run. Time
     * spent before the instant is the arming (armed_ms). */
    double armed_ms = 0;
    while (nlate < (size_t)jobs) {
        int64_t wait = engine_next_wake(e, engine_now(), 1000);
        if (wait > 0) {
            struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        int before_slot = engine_now() < burst_slot_ms;
        double t0 = now_s();
        if (engine_run(e, engine_now()) != LTM_OK) {
            fprintf(stderr, "engine_run failed\n");
            return 1;
        }
        if (before_slot)
            armed_ms += (now_s() - t0) * 1000.0;
        if (engine_now() > burst_slot_ms + 600000) {
            fprintf(stderr, "only %zu of %d jobs dispatched\n", nlate, jobs);
            return 1;
        }
    }
    double first = lateness[0];
    qsort(lateness, nlate, sizeof *lateness, cmp_double);
    printf("burst jobs=%zu accounts=%d ahead_ms=%lld p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
           "first_ms=%.1f armed_ms=%.0f\n",
           nlate, accounts, (long long)ahead_ms, pct(0.50), pct(0.99), lateness[nlate - 1], first,
           armed_ms);
    engine_free(e);
    ledger_close(l);
    free(lateness);
    remove_ledger(path);
    return 0;
}

/* ---- checks mode ---------------------------------------------------------- */

static const char default_budget[] = "linkedin=500/1d,instagram=150/1h,rapidapi=100/1d";
static int64_t checks_due_ms;

static int on_check_publish(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    if (strcmp(topic, "ltm/jobs/engagement") == 0)
        lateness[nlate++] = now_s() * 1000.0 + clock_shift_ms - (double)checks_due_ms;
    free(json);
    return 0;
}

static char *simple_accounts(int accounts)
{
    size_t cap = (size_t)accounts * 120 + 64, len = 0;
    char *json = malloc(cap);
    len += (size_t)snprintf(json + len, cap - len, "{\"accounts\":[");
    /* 03:00: far from the instants measured, never due during them */
    for (int i = 0; i < accounts; i++)
        len += (size_t)snprintf(json + len, cap - len,
                                "%s{\"name\":\"acct-%d\",\"timezone\":\"UTC\",\"schedule\":"
                                "{\"posts\":[\"03:00\"]}}",
                                i ? "," : "", i);
    snprintf(json + len, cap - len, "]}");
    return json;
}

/* The set-up the --checks and --traffic runs share: a fresh ledger at
 * path, `accounts` simple accounts, and the engine settings with the
 * engagement ages and the budget parsed. 0, or 1 with the error printed. */
static int open_engagement_bench(int accounts, const char *budget, const char *path,
                                 sched_accounts *a, ledger **l, engine_settings *s)
{
    remove_ledger(path);
    ltm_log_init("bench", LTM_LOG_ERROR, LTM_LOG_TEXT);
    char *json = simple_accounts(accounts);
    char err[300];
    *s = (engine_settings){.max_attempts = 3, .post_base_ms = 30000, .story_base_ms = 60000,
                           .report_base_ms = 60000, .lease_ms = 600000, .grace_ms = 3600000,
                           .rate_limit_ms = 900000, .report_minute = -1,
                           .engagement_base_ms = 300000, .quota_pause_ms = 3600000};
    int ok = sched_accounts_parse(json, strlen(json), a, err, sizeof err) == LTM_OK &&
             ledger_open(path, l, err, sizeof err) == LTM_OK &&
             engagement_ages_parse("1h,24h,7d", 0, &s->post_ages, err, sizeof err) == LTM_OK &&
             engagement_ages_parse("1h,23h", ENGAGEMENT_DAY_MS, &s->story_ages, err,
                                   sizeof err) == LTM_OK &&
             engagement_budget_parse(budget, &s->budget, err, sizeof err) == LTM_OK;
    free(json);
    if (!ok) {
        fprintf(stderr, "bench-scheduler: %s\n", err);
        return 1;
    }
    return 0;
}

/* N post jobs in flight (attempt 1 dispatched), written straight into the
 * ledger: what the engine would hold after publishing them. */
static int seed_in_flight(ledger *l, int n, int accounts, int64_t at)
{
    if (ledger_begin(l) != LTM_OK)
        return LTM_EDB;
    for (int i = 0; i < n; i++) {
        ledger_job j = {0};
        snprintf(j.job_id, sizeof j.job_id, "post:acct-%d:bench-%d", i % accounts, i);
        j.kind = LTM_JOB_POST;
        snprintf(j.account, sizeof j.account, "acct-%d", i % accounts);
        j.slot_ms = at - 60000;
        snprintf(j.state, sizeof j.state, "%s", LEDGER_IN_FLIGHT);
        j.attempt = 1;
        j.max_attempts = 3;
        j.due_ms = at + 2 * 86400000LL; /* the lease */
        snprintf(j.origin, sizeof j.origin, "schedule");
        j.created_ms = j.updated_ms = at - 60000;
        if (ledger_job_insert(l, &j) != 1 ||
            ledger_attempt_insert(l, j.job_id, 1, at - 60000, j.due_ms) != LTM_OK) {
            ledger_rollback(l);
            return LTM_EDB;
        }
    }
    return ledger_commit(l);
}

static int run_checks(int n, int accounts, const char *budget, const char *path)
{
    int64_t published = 1795424400000LL; /* 2026-11-23T09:00:00Z */
    sched_accounts a;
    ledger *l;
    engine_settings s;
    if (open_engagement_bench(accounts, budget, path, &a, &l, &s) != 0)
        return 1;
    s.dispatch_ahead_ms = 10000;
    s.recent_posts = 10;
    if (seed_in_flight(l, n, accounts, published) != LTM_OK) {
        fprintf(stderr, "bench-scheduler: cannot seed the ledger\n");
        return 1;
    }
    lateness = malloc((size_t)n * sizeof *lateness);
    clock_shift_ms = (double)published - now_s() * 1000.0;
    engine *e;
    if (engine_new(&s, &a, l, on_check_publish, NULL, "bench", &e) != LTM_OK ||
        engine_start(e, engine_now()) != LTM_OK) {
        fprintf(stderr, "engine start failed\n");
        return 1;
    }
    /* The results: each one transaction (post + 3 checks) and its fsync. */
    double *per_result = malloc((size_t)n * sizeof *per_result);
    double t_all = now_s();
    for (int i = 0; i < n; i++) {
        char job_id[64], account[32], remote[64];
        snprintf(job_id, sizeof job_id, "post:acct-%d:bench-%d", i % accounts, i);
        snprintf(account, sizeof account, "acct-%d", i % accounts);
        int linkedin = (i / accounts) % 2 == 0;
        snprintf(remote, sizeof remote, linkedin ? "urn:li:share:%d" : "1789%08d", i);
        ltm_result r = {.job_id = job_id, .kind = LTM_JOB_POST, .account = account,
                        .attempt = 1, .status = LTM_RESULT_PUBLISHED, .final = 1,
                        .remote_id = remote, .channel = linkedin ? "linkedin" : "instagram",
                        .worker = "bench-worker", .finished_ms = published};
        double t0 = now_s();
        if (engine_on_result(e, &r, published) != LTM_OK) {
            fprintf(stderr, "engine_on_result failed\n");
            return 1;
        }
        per_result[i] = (now_s() - t0) * 1000.0;
    }
    t_all = now_s() - t_all;
    qsort(per_result, (size_t)n, sizeof *per_result, cmp_double);
    printf("checks results=%d accounts=%d budget=%s result_ms_mean=%.2f result_ms_p50=%.2f "
           "result_ms_p99=%.2f\n",
           n, accounts, budget, t_all * 1000.0 / n, per_result[n / 2],
           per_result[(size_t)(0.99 * (n - 1))]);
    free(per_result);
    /* The first-age checks all fall due at published + 1 h: jump the clock
     * to 3 s before, then the service's loop. */
    checks_due_ms = published + s.post_ages.items[0].ms;
    clock_shift_ms = (double)checks_due_ms - 3000.0 - now_s() * 1000.0;
    engine_counters c;
    double work_ms = 0;
    for (;;) {
        engine_get_counters(e, &c);
        if (c.checks_dispatched + c.checks_deferred >= (uint64_t)n)
            break;
        int64_t wait = engine_next_wake(e, engine_now(), 1000);
        if (wait > 0) {
            struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        double t0 = now_s();
        if (engine_run(e, engine_now()) != LTM_OK) {
            fprintf(stderr, "engine_run failed\n");
            return 1;
        }
        if (engine_now() >= checks_due_ms)
            work_ms += (now_s() - t0) * 1000.0;
        if (engine_now() > checks_due_ms + 600000) {
            fprintf(stderr, "only %zu of %d checks dispatched\n", nlate, n);
            return 1;
        }
    }
    qsort(lateness, nlate, sizeof *lateness, cmp_double);
    printf("checks dispatched=%zu deferred=%llu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
           "work_ms=%.0f\n",
           nlate, (unsigned long long)c.checks_deferred, nlate ? pct(0.50) : 0.0,
           nlate ? pct(0.99) : 0.0, nlate ? lateness[nlate - 1] : 0.0, work_ms);
    engine_free(e);
    ledger_close(l);
    free(lateness);
    lateness = NULL;
    nlate = 0;
    return 0;
}

/* ---- traffic mode --------------------------------------------------------- */

static int seed_posts(ledger *l, int n, int accounts, int64_t now)
{
    static const char *const themes[] = {"launch", "hiring", "tips", "behind the scenes",
                                         "customer story", "event", ""};
    static const int64_t ages[] = {3600000LL, 86400000LL, 7 * 86400000LL};
    if (ledger_begin(l) != LTM_OK)
        return LTM_EDB;
    srand(15);
    for (int i = 0; i < n; i++) {
        ledger_post p = {0};
        /* Each account posts at its 3 daily times, one a day each (the
         * slot grouping has 21 rows per account, as with a schedule). */
        int account = i % accounts, nth = (i / accounts) % 3;
        int64_t day = (now - 7 * 86400000LL) / 86400000LL - i / (accounts * 3);
        int minute = 6 * 60 + (account * 37 + nth * 300) % (16 * 60);
        int64_t at = day * 86400000LL + (int64_t)(minute - minute % 15) * 60000;
        snprintf(p.job_id, sizeof p.job_id, "post:acct-%d:bench-%d", account, i);
        snprintf(p.account, sizeof p.account, "acct-%d", account);
        p.kind = LTM_JOB_POST;
        int linkedin = (i / accounts) % 2 == 0;
        snprintf(p.channel, sizeof p.channel, "%s", linkedin ? "linkedin" : "instagram");
        snprintf(p.remote_id, sizeof p.remote_id, "urn:li:share:%d", i);
        p.slot_ms = at;
        p.published_ms = at + 20000;
        p.weekday = (int)((at / 86400000LL + 3) % 7); /* 1970-01-01 was a Thursday */
        p.local_minute = (int)(at % 86400000LL / 60000);
        snprintf(p.theme, sizeof p.theme, "%s", themes[i % 7]);
        snprintf(p.state, sizeof p.state, "live");
        if (ledger_post_insert(l, &p) != 1) {
            ledger_rollback(l);
            return LTM_EDB;
        }
        for (int k = 0; k < 3; k++) {
            ltm_figures f;
            ltm_figures_unset(&f);
            f.impressions = 100 + rand() % 5000 * (k + 1);
            f.reactions = rand() % 200;
            f.comments = rand() % 30;
            if (linkedin)
                f.shares = rand() % 20;
            else
                f.saves = rand() % 40;
            if (ledger_reading_insert(l, p.job_id, ages[k], p.published_ms + ages[k], &f) !=
                LTM_OK) {
                ledger_rollback(l);
                return LTM_EDB;
            }
        }
    }
    return ledger_commit(l);
}

static int count_post(void *ctx, const ledger_post *p, const ledger_reading *r)
{
    (void)p;
    (void)r;
    ++*(int *)ctx;
    return 0;
}

static int run_traffic(int n, const char *path)
{
    const int accounts = 100, runs = 5;
    if (n > 358 * accounts * 3) {
        fprintf(stderr, "bench-scheduler: --traffic N: at most %d posts (3 a day per account "
                        "within the year)\n", 358 * accounts * 3);
        return 2;
    }
    int64_t now = 1795424400000LL;
    sched_accounts a;
    ledger *l;
    engine_settings s;
    if (open_engagement_bench(accounts, default_budget, path, &a, &l, &s) != 0)
        return 1;
    double t0 = now_s();
    if (seed_posts(l, n, accounts, now) != LTM_OK) {
        fprintf(stderr, "bench-scheduler: cannot seed the ledger\n");
        return 1;
    }
    double seed_s = now_s() - t0;
    engine *e;
    if (engine_new(&s, &a, l, on_publish, NULL, "bench", &e) != LTM_OK) {
        fprintf(stderr, "engine start failed\n");
        return 1;
    }
    static const char request[] = "{\"request_id\":\"bench-1\",\"command\":\"traffic\","
                                  "\"days\":365}";
    double took[16];
    size_t reply_bytes = 0;
    for (int i = 0; i < runs; i++) {
        char *topic = NULL, *reply = NULL, reason[256];
        t0 = now_s();
        int rc = commands_handle(e, request, sizeof request - 1, now, &topic, &reply, reason,
                                 sizeof reason);
        took[i] = (now_s() - t0) * 1000.0;
        if (rc != 0 || !reply || !strstr(reply, "\"ok\":true")) {
            fprintf(stderr, "traffic command failed: %s\n", reply ? reply : reason);
            return 1;
        }
        reply_bytes = strlen(reply);
        free(topic);
        free(reply);
    }
    qsort(took, (size_t)runs, sizeof *took, cmp_double);
    /* Of which the ledger's walk alone (the query and the rows' copies). */
    double walk[16];
    for (int i = 0; i < runs; i++) {
        int rows = 0;
        t0 = now_s();
        ledger_posts_at_age(l, now - 365 * 86400000LL, NULL, 86400000LL, 23 * 3600000LL,
                            count_post, &rows);
        walk[i] = (now_s() - t0) * 1000.0;
        if (rows != n) {
            fprintf(stderr, "the walk saw %d of %d posts\n", rows, n);
            return 1;
        }
    }
    qsort(walk, (size_t)runs, sizeof *walk, cmp_double);
    printf("traffic posts=%d accounts=%d readings=%d runs=%d min_ms=%.1f median_ms=%.1f "
           "max_ms=%.1f walk_median_ms=%.1f reply_bytes=%zu (seeded in %.1f s)\n",
           n, accounts, 3 * n, runs, took[0], took[runs / 2], took[runs - 1], walk[runs / 2],
           reply_bytes, seed_s);
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
    return 0;
}

static int mode_options(int argc, char **argv, int *n, int *accounts, int64_t *ahead_ms,
                        const char **budget, const char **path)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--burst") == 0 || strcmp(argv[i], "--checks") == 0 ||
            strcmp(argv[i], "--traffic") == 0)
            *n = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--accounts") == 0)
            *accounts = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--ahead") == 0)
            *ahead_ms = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--budget") == 0)
            *budget = argv[i + 1];
        else if (strcmp(argv[i], "--ledger") == 0)
            *path = argv[i + 1];
        else {
            fprintf(stderr, "bench-scheduler: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (*n < 1) {
        fprintf(stderr, "bench-scheduler: %s needs a count above 0\n", argv[1]);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--checks") == 0) {
        int n = 0, accounts = 100;
        int64_t ahead_ms = 0;
        const char *budget = default_budget, *path = "bench-checks.db";
        int rc = mode_options(argc, argv, &n, &accounts, &ahead_ms, &budget, &path);
        if (rc == 0 && accounts < 1)
            rc = 2;
        return rc ? rc : run_checks(n, accounts, budget, path);
    }
    if (argc > 1 && strcmp(argv[1], "--traffic") == 0) {
        int n = 0, accounts = 0;
        int64_t ahead_ms = 0;
        const char *budget = NULL, *path = "bench-traffic.db";
        int rc = mode_options(argc, argv, &n, &accounts, &ahead_ms, &budget, &path);
        return rc ? rc : run_traffic(n, path);
    }
    if (argc > 1 && strcmp(argv[1], "--burst") == 0) {
        int jobs = 0, accounts = 0; /* default: N/2, a post and a story each */
        int64_t ahead_ms = 10000; /* LTM_DISPATCH_AHEAD's default */
        const char *path = "bench-burst.db";
        for (int i = 1; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--burst") == 0)
                jobs = atoi(argv[i + 1]);
            else if (strcmp(argv[i], "--accounts") == 0)
                accounts = atoi(argv[i + 1]);
            else if (strcmp(argv[i], "--ahead") == 0)
                ahead_ms = atoll(argv[i + 1]);
            else if (strcmp(argv[i], "--ledger") == 0)
                path = argv[i + 1];
            else {
                fprintf(stderr, "bench-scheduler: unknown option %s\n", argv[i]);
                return 2;
            }
        }
        return run_burst(jobs, accounts ? accounts : (jobs + 1) / 2, ahead_ms, path);
    }
    const char *path = argc > 1 ? argv[1] : "bench-ledger.db";
    remove_ledger(path);
    ltm_log_init("bench", LTM_LOG_ERROR, LTM_LOG_TEXT);
    srand(42);
    char *json = make_accounts();
    long rss0 = rss_kib("VmRSS:");
    double t0 = now_s();
    sched_accounts a;
    char err[300];
    if (sched_accounts_parse(json, strlen(json), &a, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t_parse = now_s() - t0;
    free(json);
    int64_t start = 1795392000000LL; /* 2026-11-23T00:00:00Z, a Monday */
    double g = bench_glib(&a, start), li = bench_libc(&a, 0, start), lg = bench_libc(&a, 1, start);
    size_t slots = (size_t)ACCOUNTS * (POSTS + STORIES);
    printf("time zones, next fire of %zu slots in %zu zones:\n"
           "  GLib GTimeZone (chosen):            %7.1f ms  %6.0f ns/slot\n"
           "  setenv TZ+tzset+mktime, per slot:   %7.1f ms  %6.0f ns/slot\n"
           "  setenv TZ+tzset+mktime, per zone:   %7.1f ms  %6.0f ns/slot\n",
           slots, NZONES, g * 1e3, g * 1e9 / (double)slots, li * 1e3, li * 1e9 / (double)slots,
           lg * 1e3, lg * 1e9 / (double)slots);
    ledger *l;
    if (ledger_open(path, &l, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    engine_settings s = {.max_attempts = 3, .post_base_ms = 30000, .story_base_ms = 60000,
                         .report_base_ms = 60000, .lease_ms = 2 * 86400000LL,
                         .grace_ms = 3600000, .rate_limit_ms = 900000, .report_minute = 360};
    lateness = malloc((slots + 16) * sizeof *lateness);
    engine *e;
    t0 = now_s();
    engine_new(&s, &a, l, on_publish, NULL, "bench", &e);
    engine_start(e, start);
    double t_start = now_s() - t0;
    printf("startup: parse %.0f ms + engine %.0f ms = %.0f ms for %zu slots; "
           "RSS %+ld KiB (peak VmHWM %ld KiB)\n",
           t_parse * 1e3, t_start * 1e3, (t_parse + t_start) * 1e3, engine_slot_count(e),
           rss_kib("VmRSS:") - rss0, rss_kib("VmHWM:"));
    t0 = now_s();
    simulate_day(e, start);
    double t_day = now_s() - t0;
    qsort(first_of_burst, bursts, sizeof *first_of_burst, cmp_double);
    printf("bursts: %zu instants with jobs due, largest %zu jobs at one instant; first job of "
           "each burst out after p50 %.2f ms, p99 %.2f ms\n",
           bursts, largest_burst, first_of_burst[bursts / 2],
           first_of_burst[(size_t)(0.99 * (double)(bursts - 1))]);
    qsort(lateness, nlate, sizeof *lateness, cmp_double);
    printf("one day: %zu jobs dispatched in %.1f s of work; lateness from wake-up to publish: "
           "p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           nlate, t_day, pct(0.50), pct(0.99), lateness[nlate - 1]);
    printf("memory after the day: RSS %ld KiB\n", rss_kib("VmRSS:"));
    results_throughput(e, 2000);
    engine_free(e);
    ledger_close(l);
    free(lateness);
    return 0;
}
