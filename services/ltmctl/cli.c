#include "cli.h"

#include "ltm/config.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char overview[] =
    "Usage: ltmctl [--json] [--timeout DURATION] COMMAND [OPTIONS]\n"
    "\n"
    "Talks to ltm-scheduler over MQTT (user ltmctl; settings LTM_MQTT_URL,\n"
    "LTM_MQTT_USERNAME, LTM_MQTT_PASSWORD, LTM_MQTT_CA_FILE as for every service).\n"
    "\n"
    "Commands:\n"
    "  post     dispatch a post now or at a given time\n"
    "  story    dispatch a story now or at a given time\n"
    "  jobs     recent jobs and their attempts, from the scheduler's ledger\n"
    "  pause    stop dispatching for an account\n"
    "  resume   dispatch for an account again\n"
    "  traffic  rank accounts, slots and themes by the engagement of their posts\n"
    "\n"
    "Options:\n"
    "  --json              print the scheduler's reply as JSON (for scripts)\n"
    "  --timeout DURATION  how long to wait for the reply (default 10s)\n"
    "  --help              this text; `ltmctl COMMAND --help` for a command\n"
    "\n"
    "Exit codes: 0 done; 1 refused by the scheduler; 2 bad command line;\n"
    "3 no reply in time (is ltm-scheduler running?); 4 broker unreachable or\n"
    "credentials refused; with --wait, 5 the job failed for good and 6 it did\n"
    "not finish in time; 78 a setting is missing or malformed.\n";

void ltmctl_help(FILE *out, const char *command)
{
    if (!command) {
        fputs(overview, out);
    } else if (strcmp(command, "post") == 0 || strcmp(command, "story") == 0) {
        fprintf(out,
                "Usage: ltmctl %s --account NAME [--text TEXT | --prompt PROMPT]\n"
                "                  [--image-url URL] [--at TIME] [--wait]\n\n"
                "Creates an on-demand %s job for the account; the scheduler dispatches it\n"
                "with the usual attempts, retries and lease, and records it in its ledger.\n"
                "  --account NAME   an account of the accounts file (required)\n"
                "  --text TEXT      the final text: no generation\n"
                "  --prompt PROMPT  an extra instruction for the text generator\n"
                "  --image-url URL  image to publish with it\n"
                "  --at TIME        RFC 3339 instant (2026-11-25T09:00:00Z) or +DURATION\n"
                "                   (+10m); default now\n"
                "  --wait           wait for the outcome (mind --timeout: retries take time);\n"
                "                   exit 0 published, 5 failed for good, 6 not finished in time\n"
                "Prints the job id; `ltmctl jobs` shows its attempts.\n",
                command, command);
    } else if (strcmp(command, "jobs") == 0) {
        fputs("Usage: ltmctl jobs [--account NAME] [--since AGE|TIME] [--limit N]\n\n"
              "Lists jobs created since AGE ago (24h, 7d; default 24h) or since an RFC 3339\n"
              "instant, newest first, with every attempt and its outcome.\n"
              "  --limit N   at most N jobs (1-500, default 100)\n",
              out);
    } else if (strcmp(command, "traffic") == 0) {
        fputs("Usage: ltmctl traffic [--days N] [--account NAME] [--kind post|story] [--posts]\n"
              "                      [--limit N] [--age DURATION]\n\n"
              "Ranks accounts, slots (the account's local weekday and time) and themes by\n"
              "the median engagement of the posts published in the last N days, from the\n"
              "figures read back after publishing. Posts are compared at one age: by\n"
              "default the configured engagement age closest to 24h (one for posts, one\n"
              "for stories). Engagement of a post = reactions + comments + shares + saves\n"
              "of its reading at that age; a post not read at that age yet is counted as\n"
              "unread, not as 0. A median of an even count is the mean of the two middle\n"
              "values.\n"
              "  --days N        the last N days (1-365, default 30)\n"
              "  --age DURATION  compare posts and stories at this age (7d, 1h; 1s-366d)\n"
              "  --account NAME  only this account\n"
              "  --kind KIND     only posts or only stories\n"
              "  --posts         also list the posts with their figures at each age\n"
              "  --limit N       with --posts, at most N posts, newest first (1-1000,\n"
              "                  default 100)\n"
              "A figure the channel does not offer is printed as -.\n",
              out);
    } else {
        fprintf(out,
                "Usage: ltmctl %s ACCOUNT\n\n%s\n", command,
                strcmp(command, "pause") == 0
                    ? "Stops dispatching the account's slots (they are recorded as skipped)\n"
                      "and holds its retries, until `ltmctl resume`. Survives restarts."
                    : "Dispatches the account's slots again and releases its held retries.");
    }
}

__attribute__((format(printf, 3, 4))) static int usage(char *err, size_t size,
                                                       const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, size, format, ap);
    va_end(ap);
    return LTMCTL_USAGE;
}

/* "+10m" relative to now, or RFC 3339. */
static int parse_at(const char *text, int64_t now, int64_t *out)
{
    long long ms;
    if (text[0] == '+' && ltm_parse_duration_ms(text + 1, &ms) == 0) {
        *out = now + ms;
        return 0;
    }
    return ltm_time_parse_iso(text, out);
}

/* "24h" ago, or RFC 3339. */
static int parse_since(const char *text, int64_t now, int64_t *out)
{
    long long ms;
    if (ltm_parse_duration_ms(text, &ms) == 0) {
        *out = now - ms;
        return 0;
    }
    return ltm_time_parse_iso(text, out);
}

static const char *const known[] = {"post", "story", "jobs", "pause", "resume", "traffic"};

static int option_allowed(const char *command, const char *opt)
{
    int submit = strcmp(command, "post") == 0 || strcmp(command, "story") == 0;
    int traffic = strcmp(command, "traffic") == 0;
    if (strcmp(opt, "--account") == 0)
        return submit || traffic || strcmp(command, "jobs") == 0;
    if (strcmp(opt, "--text") == 0 || strcmp(opt, "--prompt") == 0 ||
        strcmp(opt, "--image-url") == 0 || strcmp(opt, "--at") == 0)
        return submit;
    if (strcmp(opt, "--since") == 0)
        return strcmp(command, "jobs") == 0;
    if (strcmp(opt, "--limit") == 0)
        return traffic || strcmp(command, "jobs") == 0;
    if (strcmp(opt, "--days") == 0 || strcmp(opt, "--kind") == 0 || strcmp(opt, "--age") == 0)
        return traffic;
    return 0;
}

/* --limit and --days: a whole number within [1, max], set once. */
static int add_count(cJSON *req, const char *opt, const char *value, long long max, char *err,
                     size_t size)
{
    long long n;
    if (cJSON_GetObjectItemCaseSensitive(req, opt + 2))
        return usage(err, size, "%s given twice", opt);
    if (ltm_parse_int(value, &n) != 0 || n < 1 || n > max)
        return usage(err, size, "%s \"%s\": expected 1 to %lld", opt, value, max);
    return cJSON_AddNumberToObject(req, opt + 2, (double)n) ? 0 : LTMCTL_USAGE;
}

static int add_option(cJSON *req, const char *command, const char *opt, const char *value,
                      int64_t now, char *err, size_t size)
{
    int64_t t;
    if (strcmp(opt, "--at") == 0) {
        if (parse_at(value, now, &t) != 0)
            return usage(err, size, "--at \"%s\": expected an RFC 3339 time or +DURATION", value);
        return ltm_json_add_time(req, "at", t) ? LTMCTL_USAGE : 0;
    }
    if (strcmp(opt, "--since") == 0) {
        if (parse_since(value, now, &t) != 0)
            return usage(err, size, "--since \"%s\": expected an age (24h) or an RFC 3339 time",
                         value);
        return ltm_json_add_time(req, "since", t) ? LTMCTL_USAGE : 0;
    }
    if (strcmp(opt, "--limit") == 0)
        return add_count(req, opt, value, strcmp(command, "traffic") == 0 ? 1000 : 500, err, size);
    if (strcmp(opt, "--days") == 0)
        return add_count(req, opt, value, 365, err, size);
    if (strcmp(opt, "--age") == 0) {
        long long ms;
        if (cJSON_GetObjectItemCaseSensitive(req, "age_ms"))
            return usage(err, size, "--age given twice");
        if (ltm_parse_duration_ms(value, &ms) != 0 || ms < 1000 || ms > 366LL * 86400000)
            return usage(err, size, "--age \"%s\": expected a duration from 1s to 366d", value);
        return cJSON_AddNumberToObject(req, "age_ms", (double)ms) ? 0 : LTMCTL_USAGE;
    }
    if (strcmp(opt, "--kind") == 0 && strcmp(value, "post") != 0 && strcmp(value, "story") != 0)
        return usage(err, size, "--kind \"%s\": expected post or story", value);
    const char *key = strcmp(opt, "--image-url") == 0 ? "image_url" : opt + 2;
    if (cJSON_GetObjectItemCaseSensitive(req, key))
        return usage(err, size, "%s given twice", opt);
    return ltm_json_add_str(req, key, value) ? LTMCTL_USAGE : 0;
}

static int parse_command(int argc, char **argv, int i, int64_t now, ltmctl_args *out,
                         cJSON *req, char *err, size_t size)
{
    const char *cmd = out->command;
    int positional = strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            out->help = 1;
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            out->json = 1;
        } else if (strcmp(a, "--wait") == 0 && (strcmp(cmd, "post") == 0 ||
                                                 strcmp(cmd, "story") == 0)) {
            out->wait = 1;
        } else if (strcmp(a, "--posts") == 0 && strcmp(cmd, "traffic") == 0) {
            cJSON_DeleteItemFromObject(req, "posts");
            cJSON_AddBoolToObject(req, "posts", 1);
        } else if (positional && a[0] != '-' && !cJSON_GetObjectItem(req, "account")) {
            ltm_json_add_str(req, "account", a);
        } else if (option_allowed(cmd, a)) {
            if (i + 1 >= argc)
                return usage(err, size, "%s needs a value", a);
            int rc = add_option(req, cmd, a, argv[++i], now, err, size);
            if (rc)
                return rc;
        } else {
            snprintf(err, size, "ltmctl %s: unexpected argument \"%.100s\" (see ltmctl %s --help)",
                     cmd, a, cmd);
            return LTMCTL_USAGE;
        }
    }
    int submit = strcmp(cmd, "post") == 0 || strcmp(cmd, "story") == 0;
    if ((submit || positional) && !cJSON_GetObjectItem(req, "account"))
        return usage(err, size, positional ? "ltmctl %s: ACCOUNT is required"
                                           : "ltmctl %s: --account is required", cmd);
    if (cJSON_GetObjectItem(req, "text") && cJSON_GetObjectItem(req, "prompt"))
        return usage(err, size, "ltmctl %s: give --text or --prompt, not both", cmd);
    if (strcmp(cmd, "jobs") == 0 && !cJSON_GetObjectItem(req, "since"))
        return add_option(req, cmd, "--since", "24h", now, err, size);
    return 0;
}

int ltmctl_parse(int argc, char **argv, int64_t now, ltmctl_args *out, char *err,
                 size_t size)
{
    memset(out, 0, sizeof *out);
    out->timeout_ms = 10000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            out->help = 1;
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            out->json = 1;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            long long ms;
            if (ltm_parse_duration_ms(argv[++i], &ms) != 0 || ms < 100 || ms > 3600000)
                return usage(err, size, "--timeout \"%s\": expected a duration from 100ms to 1h",
                             argv[i]);
            out->timeout_ms = ms;
        } else {
            return usage(err, size, "unknown option \"%.100s\" (see ltmctl --help)", argv[i]);
        }
    }
    if (i >= argc)
        return usage(err, size, "a command is needed: post, story, jobs, pause, resume or "
                                "traffic (see ltmctl --help)");
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strcmp(argv[i], known[k]) == 0)
            out->command = known[k];
    }
    if (!out->command)
        return usage(err, size,
                     "unknown command \"%.100s\": expected post, story, jobs, pause, resume or "
                     "traffic", argv[i]);
    cJSON *req = cJSON_CreateObject();
    if (!req || ltm_json_add_str(req, "command", out->command)) {
        cJSON_Delete(req);
        return usage(err, size, "out of memory");
    }
    int rc = parse_command(argc, argv, i + 1, now, out, req, err, size);
    if (rc == 0 && !out->help)
        out->request_json = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return rc;
}

void ltmctl_args_clear(ltmctl_args *args)
{
    free(args->request_json);
    args->request_json = NULL;
}

char *ltmctl_request(const char *request_json, const char *request_id)
{
    cJSON *req = cJSON_Parse(request_json);
    if (!req)
        return NULL;
    ltm_json_add_str(req, "request_id", request_id);
    return ltm_json_finish(req);
}
