#ifndef LTMCTL_CLI_H
#define LTMCTL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ltmctl's pure parts: the command line into a request for the scheduler,
 * and the scheduler's reply into text. The MQTT round trip is in main.c. */

/* Exit codes scripts can rely on (docs/ltmctl.md). */
enum {
    LTMCTL_OK = 0,
    LTMCTL_REFUSED = 1,     /* the scheduler answered with an error */
    LTMCTL_USAGE = 2,       /* bad command line */
    LTMCTL_NO_ANSWER = 3,   /* connected, but no reply in time (scheduler down?) */
    LTMCTL_NO_BROKER = 4,   /* could not connect to the broker */
    LTMCTL_JOB_FAILED = 5,  /* --wait: the job ended without being published */
    LTMCTL_NO_OUTCOME = 6,  /* --wait: accepted, but not finished within --timeout */
    LTMCTL_CONFIG = 78,     /* a setting (environment variable) is missing or malformed */
};

typedef struct {
    int help;               /* print help for `command` (or general) and exit 0 */
    int json;               /* print the raw reply */
    int wait;               /* post/story: wait for the job's final outcome */
    int64_t timeout_ms;
    const char *command;    /* post, story, jobs, pause, resume, traffic */
    char *request_json;     /* owned; the request without request_id */
} ltmctl_args;

/* Parses argv. now_ms resolves relative times (--since 24h, --at +10m).
 * LTMCTL_USAGE with a sentence in err on a bad command line. */
int ltmctl_parse(int argc, char **argv, int64_t now_ms, ltmctl_args *out, char *err,
                 size_t err_size);
void ltmctl_args_clear(ltmctl_args *args);

/* Adds request_id to the request JSON; caller frees. */
char *ltmctl_request(const char *request_json, const char *request_id);

/* Prints the help of a command (NULL: the overview). */
void ltmctl_help(FILE *out, const char *command);

/* Prints a reply for a person; returns the exit code it implies. */
int ltmctl_print_reply(FILE *out, FILE *err, const char *command, const char *reply, size_t len);
/* Exit code implied by a reply, for --json. */
int ltmctl_reply_status(const char *reply, size_t len);

/* The job id of an accepted post/story reply, copied into out; 0 when the
 * reply has none. */
int ltmctl_reply_job_id(const char *reply, size_t len, char *out, size_t size);

/* For --wait: when payload (from ltm/results) is the final outcome of
 * job_id, prints it (raw with json) and returns the exit code it implies
 * (LTMCTL_OK or LTMCTL_JOB_FAILED); -1 when it is not. A result of job_id
 * that does not decode (ltm/msg.h) is -1 too, with a line on err. */
int ltmctl_outcome(FILE *out, FILE *err, const char *payload, size_t len, const char *job_id,
                   int json);

#endif
