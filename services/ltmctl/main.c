/* ltmctl: the operator's command line. One request on ltm/commands/scheduler,
 * one reply on ltm/replies/<request_id>; a clean session and a fresh client id
 * per run, since nothing of a finished run must linger on the broker. */
#include "cli.h"

#include "ltm/config.h"
#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/mqtt.h"
#include "ltm/timeutil.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

/* The request is resent (same request id, so the scheduler treats it once)
 * in case it overtook our own subscription to the reply topic. */
#define RESEND_MS 1000

static const ltm_setting settings[] = {
    {"LTM_MQTT_URL", LTM_SET_STRING, "mqtt://localhost:1883", 0, 0, 0, NULL, "broker URL"},
    {"LTM_MQTT_USERNAME", LTM_SET_STRING, "ltmctl", 0, 0, 0, NULL, "broker user"},
    {"LTM_MQTT_PASSWORD", LTM_SET_STRING, NULL, LTM_SETTING_REQUIRED | LTM_SETTING_SECRET, 0, 0,
     NULL, "broker password of the ltmctl user"},
    {"LTM_MQTT_CA_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "CA file (mqtts://)"},
    {"LTM_MQTT_CERT_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "client certificate"},
    {"LTM_MQTT_KEY_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "client key"},
    {"LTM_LOG_LEVEL", LTM_SET_ENUM, "error", 0, 0, 0, "debug|info|warn|error",
     "diagnostics on stderr"},
};

static int random_id(char out[33])
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

typedef struct {
    ltm_mqtt *mqtt;
    int wake_fd;
    char reply_topic[64];
    ltm_mqtt_message *reply;
} session;

static int connect_broker(const ltm_config *cfg, const char *client_id, int results,
                          session *s)
{
    char err[256];
    ltm_mqtt_options o = {
        .url = ltm_config_str(cfg, "LTM_MQTT_URL"),
        .client_id = client_id,
        .username = ltm_config_str(cfg, "LTM_MQTT_USERNAME"),
        .password = ltm_config_str(cfg, "LTM_MQTT_PASSWORD"),
        .clean_session = 1,
        .keepalive_s = 30,
        .ca_file = ltm_config_str(cfg, "LTM_MQTT_CA_FILE"),
        .cert_file = ltm_config_str(cfg, "LTM_MQTT_CERT_FILE"),
        .key_file = ltm_config_str(cfg, "LTM_MQTT_KEY_FILE"),
        /* As deep as the services': with --wait it reads every result on
         * ltm/results, and a full inbox makes Paho offer the next message
         * only at its next pass (up to a second) after ltmctl caught up. */
        .max_inbox = 1000,
        .max_outbox = 16,
        .wake_fd = s->wake_fd,
    };
    if (ltm_mqtt_new(&o, &s->mqtt, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "ltmctl: setting LTM_MQTT_URL: %s\n", err);
        return LTMCTL_CONFIG;
    }
    /* One subscribe packet for both: once the reply arrives, the results
     * subscription is active too, before the job can have been dispatched. */
    if (results)
        ltm_mqtt_subscribe(s->mqtt, "ltm/results", 1);
    ltm_mqtt_subscribe(s->mqtt, s->reply_topic, 1);
    ltm_mqtt_connect(s->mqtt);
    return LTMCTL_OK;
}

static void wait_event(session *s, int64_t deadline, int64_t cap_ms)
{
    int64_t left = deadline - ltm_mono_ms();
    int timeout = (int)(left < cap_ms ? left : cap_ms);
    struct pollfd p = {.fd = s->wake_fd, .events = POLLIN};
    if (timeout > 0 && poll(&p, 1, timeout) > 0) {
        uint64_t n;
        ssize_t r = read(s->wake_fd, &n, sizeof n);
        (void)r;
    }
}

/* Connects, sends the request until the reply comes or the deadline. */
static int round_trip(session *s, const char *request, int64_t deadline)
{
    int64_t next_send = 0;
    int ever_connected = 0;
    while (ltm_mono_ms() < deadline) {
        int wait_ms = ltm_mqtt_service(s->mqtt);
        if (ltm_mqtt_is_connected(s->mqtt)) {
            ever_connected = 1;
            if (ltm_mono_ms() >= next_send) {
                ltm_mqtt_publish(s->mqtt, "ltm/commands/scheduler", request, strlen(request), 1, 0);
                next_send = ltm_mono_ms() + RESEND_MS;
            }
        }
        ltm_mqtt_message *m;
        /* Stops at the reply: what follows it (results, for --wait) stays
         * in the inbox for wait_outcome. */
        while (!s->reply && (m = ltm_mqtt_receive(s->mqtt)) != NULL) {
            if (strcmp(m->topic, s->reply_topic) == 0)
                s->reply = m;
            else
                ltm_mqtt_message_free(m);
        }
        if (s->reply)
            return LTMCTL_OK;
        wait_event(s, deadline, wait_ms < 100 ? 100 : wait_ms);
    }
    return ever_connected ? LTMCTL_NO_ANSWER : LTMCTL_NO_BROKER;
}

/* --wait: results of the job until its final outcome or the deadline. */
static int wait_outcome(session *s, const char *job_id, int64_t deadline, int json)
{
    while (ltm_mono_ms() < deadline) {
        int wait_ms = ltm_mqtt_service(s->mqtt);
        ltm_mqtt_message *m;
        while ((m = ltm_mqtt_receive(s->mqtt)) != NULL) {
            int rc = strcmp(m->topic, "ltm/results") == 0
                         ? ltmctl_outcome(stdout, stderr, m->payload, m->len, job_id, json)
                         : -1;
            ltm_mqtt_message_free(m);
            if (rc >= 0)
                return rc;
        }
        wait_event(s, deadline, wait_ms < 100 ? 100 : wait_ms);
    }
    fprintf(stderr, "ltmctl: %s accepted, but not finished within the timeout (see ltmctl jobs)\n",
            job_id);
    return LTMCTL_NO_OUTCOME;
}

static int print_reply(const ltmctl_args *args, const ltm_mqtt_message *reply)
{
    int rc;
    if (args->json) {
        fwrite(reply->payload, 1, reply->len, stdout);
        fputc('\n', stdout);
        rc = ltmctl_reply_status(reply->payload, reply->len);
    } else {
        rc = ltmctl_print_reply(stdout, stderr, args->command, reply->payload, reply->len);
    }
    fflush(stdout); /* with --wait, a script reads the job id before the outcome */
    return rc;
}

static int run(const ltmctl_args *args, const ltm_config *cfg)
{
    char request_id[33], client_id[48], job_id[256];
    if (random_id(request_id) != 0) {
        fprintf(stderr, "ltmctl: no random bytes for a request id\n");
        return LTMCTL_NO_BROKER;
    }
    int64_t deadline = ltm_mono_ms() + args->timeout_ms;
    snprintf(client_id, sizeof client_id, "ltmctl-%.16s", request_id);
    session s = {.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    snprintf(s.reply_topic, sizeof s.reply_topic, "ltm/replies/%s", request_id);
    char *request = ltmctl_request(args->request_json, request_id);
    int rc = !request || s.wake_fd < 0 ? LTMCTL_CONFIG
                                       : connect_broker(cfg, client_id, args->wait, &s);
    if (rc == LTMCTL_OK)
        rc = round_trip(&s, request, deadline);
    if (rc == LTMCTL_NO_BROKER)
        fprintf(stderr, "ltmctl: cannot connect to the broker at %s as %s (check LTM_MQTT_URL "
                        "and the credentials)\n",
                ltm_config_str(cfg, "LTM_MQTT_URL"), ltm_config_str(cfg, "LTM_MQTT_USERNAME"));
    else if (rc == LTMCTL_NO_ANSWER)
        fprintf(stderr, "ltmctl: no reply from ltm-scheduler within %lld ms (is it running?)\n",
                (long long)args->timeout_ms);
    if (rc == LTMCTL_OK)
        rc = print_reply(args, s.reply);
    if (rc == LTMCTL_OK && args->wait &&
        ltmctl_reply_job_id(s.reply->payload, s.reply->len, job_id, sizeof job_id))
        rc = wait_outcome(&s, job_id, deadline, args->json);
    ltm_mqtt_message_free(s.reply);
    if (s.mqtt)
        ltm_mqtt_disconnect(s.mqtt, 1000);
    ltm_mqtt_free(s.mqtt);
    if (s.wake_fd >= 0)
        close(s.wake_fd);
    free(request);
    return rc;
}

int main(int argc, char **argv)
{
    ltmctl_args args;
    char err[300];
    int rc = ltmctl_parse(argc, argv, ltm_now_ms(), &args, err, sizeof err);
    if (rc != LTMCTL_OK) {
        fprintf(stderr, "ltmctl: %s\n", err);
        ltmctl_args_clear(&args);
        return rc;
    }
    if (args.help) {
        ltmctl_help(stdout, args.command);
        return LTMCTL_OK;
    }
    ltm_config *cfg = NULL;
    if (ltm_config_load(settings, sizeof settings / sizeof settings[0], NULL, NULL, &cfg, err,
                        sizeof err) != LTM_OK) {
        fprintf(stderr, "ltmctl: %s\n", err);
        ltmctl_args_clear(&args);
        return LTMCTL_CONFIG;
    }
    ltm_log_level level = LTM_LOG_ERROR;
    ltm_log_level_parse(ltm_config_str(cfg, "LTM_LOG_LEVEL"), &level);
    ltm_log_init("ltmctl", level, LTM_LOG_TEXT);
    ltm_log_set_fd(2); /* stdout carries the answer */
    rc = run(&args, cfg);
    ltm_config_free(cfg);
    ltmctl_args_clear(&args);
    return rc;
}
