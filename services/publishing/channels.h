#ifndef LTM_CHANNELS_H
#define LTM_CHANNELS_H

#include "ltm/accounts.h"
#include "publishing/classify.h"
#include "ltm/msg.h"
#include "publishing/task.h"

#include <stddef.h>

/* The channel adapters, one file each (channel_<name>.c), all with the same
 * two stages over the shared HTTP layer:
 *   publish: send t->text / t->image_url; the outcome is published (with the
 *            remote id), failed, duplicate, or unconfirmed when the publish
 *            request went out and no answer came back;
 *   verify:  after an unconfirmed publish, look on the channel whether the
 *            post exists: published when found, failed and retryable when the
 *            check proves it absent, unconfirmed when it cannot tell.
 * A channel without a way to check has no verify stage.
 *   read:    an engagement check (t->job->kind LTM_JOB_ENGAGEMENT): read the
 *            figures of t->job->remote_id; the outcome is read (with
 *            figures), gone (the post was deleted), or failed. A channel
 *            whose figures cannot be read has no read stage. */

typedef struct {
    ltm_channel_type type;
    void (*publish)(ltm_task *t);
    void (*verify)(ltm_task *t); /* NULL: no check possible */
    void (*read)(ltm_task *t);   /* NULL: figures cannot be read */
} ltm_channel_ops;

const ltm_channel_ops *ltm_channel_ops_of(ltm_channel_type type);

/* ---- pure builders and readers, tested on fixtures ---------------------- */

/* Percent-encodes for a URL query value; caller frees. */
char *ltm_url_encode(const char *s);

/* LinkedIn Posts API body; commentary already escaped; image_urn NULL for a
 * text post. Caller frees. */
char *ltm_linkedin_post_body(const char *author, const char *visibility, const char *commentary,
                             const char *image_urn);
/* initializeUpload answer: uploadUrl and image URN (caller frees both). */
int ltm_linkedin_upload_parse(const char *body, size_t len, char **upload_url, char **image_urn);
/* Finds, among an author's recent posts, one whose commentary is ours:
 * 1 and *id (caller frees), 0 when absent, LTM_EINVAL when unreadable. */
int ltm_linkedin_find_post(const char *body, size_t len, const char *commentary, char **id);

/* LinkedIn figures (docs/publishing.md, "Reading figures back"). URLs of
 * one memberCreatorPostAnalytics metric of a member's post (entity=(share:…)
 * or (ugc:…)), and of organizationalEntityShareStatistics for one post of an
 * organization (shares=List(…) or ugcPosts=List(…)); NULL when post_urn is
 * neither a urn:li:share nor a urn:li:ugcPost. Caller frees. */
char *ltm_linkedin_member_stats_url(const char *base, const char *post_urn, const char *query_type);
char *ltm_linkedin_share_stats_url(const char *base, const char *org_urn, const char *post_urn);
/* The count of query_type in a memberCreatorPostAnalytics answer (metricType
 * a string, or an object whose one value is the string, by version); -1 when
 * elements is empty (nothing counted yet: no figure rather than a guessed 0).
 * LTM_EINVAL with a reason when malformed. */
int ltm_linkedin_member_stat_parse(const char *body, size_t len, const char *query_type,
                                   int64_t *count, char *reason, size_t reason_size);
/* The figures of post_urn in an organizationalEntityShareStatistics answer:
 * impressionCount, uniqueImpressionsCount, likeCount (never below 0),
 * commentCount, shareCount; no saves. A post missing from elements has had no
 * activity (LinkedIn leaves such posts out): zeros. LTM_EINVAL with a reason
 * when malformed. */
int ltm_linkedin_share_stats_parse(const char *body, size_t len, const char *post_urn,
                                   ltm_figures *out, char *reason, size_t reason_size);

/* Instagram container body: a feed image with caption, or a story. */
char *ltm_instagram_container_body(const char *image_url, const char *caption, int story);
/* "id" of a container or media answer; caller frees. */
char *ltm_instagram_id(const char *body, size_t len);
/* status_code of a container: FINISHED, IN_PROGRESS, ERROR, EXPIRED,
 * PUBLISHED; caller frees. */
char *ltm_instagram_status(const char *body, size_t len);

/* GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config:
 * {"data":[{"quota_usage":N,"config":{"quota_total":50,"quota_duration":86400}}]}.
 * duration_s is 0 when the answer has none. LTM_EINVAL with a reason when
 * the usage or the total is missing or not a whole number. */
typedef struct {
    long long usage, total, duration_s;
} ltm_instagram_limit;
int ltm_instagram_limit_parse(const char *body, size_t len, ltm_instagram_limit *out, char *reason,
                              size_t reason_size);

/* RapidAPI body: the channel's fixed fields plus text and image. */
char *ltm_rapidapi_body(const ltm_channel *ch, const char *text, const char *image_url);
/* The post id at ch->id_field in the answer (string or number); caller frees. */
char *ltm_rapidapi_id(const ltm_channel *ch, const char *body, size_t len);

/* Webhook body (docs/publishing.md). Caller frees. */
char *ltm_webhook_body(const ltm_job *job, const char *text, const char *image_url,
                       const char *worker);

/* Sandbox: the clearly marked text and the outbox line; caller frees. */
char *ltm_sandbox_text(const ltm_job *job);
char *ltm_sandbox_record(const ltm_job *job, int64_t now_ms);
/* Sandbox figures of a post or story: a pure function of its remote id and
 * age (formula in docs/publishing.md, "Reading figures back"), growing with
 * the age, impressions >= reach >= reactions >= comments, shares, saves.
 * A story has no reactions and no saves (-1), as on Instagram. */
void ltm_sandbox_figures(const char *remote_id, int64_t age_ms, int story, ltm_figures *out);

/* ---- engagement read-back (issue 15): Instagram insights, RapidAPI stats -- */

/* The Instagram read stage (channel_instagram_insights.c). */
void ltm_instagram_read(ltm_task *t);

/* Instagram media insights asked for a post or a story, in this order; bit i
 * of a mask is metric i. Feed posts: views, reach, likes, comments, shares,
 * saved; stories: views, reach, replies, shares (likes, comments and saved do
 * not apply to a story, and one metric that does not apply fails the whole
 * call). */
#define LTM_IG_METRIC_COUNT 7
/* The comma-separated metric list of post_kind without the metrics in
 * dropped, into out; returns how many it holds (0: none left, or too long). */
int ltm_instagram_insights_metrics(ltm_job_kind post_kind, unsigned dropped, char *out,
                                   size_t size);
/* GET /{media-id}/insights answer: {"data":[{"name","period","values":[{"value":N}],
 * "total_value":{"value":N},...}]} into figures (views -> impressions,
 * reach, likes -> reactions, comments and replies -> comments, shares,
 * saved -> saves); a metric absent from data is -1. *found counts the
 * metrics read. LTM_EINVAL with a reason when the answer is not that shape
 * or a value is not a whole number >= 0. */
int ltm_instagram_insights_parse(const char *body, size_t len, ltm_figures *out, int *found,
                                 char *reason, size_t reason_size);
/* A code 100 answer saying one metric of the request does not apply to this
 * media ("The metric shares is not supported for this media type"): that
 * metric's index among post_kind's, when it is one of those asked (not in
 * dropped); else -1. */
int ltm_instagram_unsupported_metric(const char *body, size_t len, ltm_job_kind post_kind,
                                     unsigned dropped);
/* Every metric such an answer names (bit i: metric i of the list, asked of
 * post_kind and not in dropped); *refusal is 1 when the answer is such a
 * refusal at all, even naming none we know. */
unsigned ltm_instagram_refused_metrics(const char *body, size_t len, ltm_job_kind post_kind,
                                       unsigned dropped, int *refusal);

/* RapidAPI stats request of a channel with stats_path: base (the env's
 * rapidapi_base, or NULL for https://<host>) + stats_path with {id}
 * replaced by the percent-encoded remote id. Caller frees; NULL when the
 * channel names no stats_path or memory runs out. */
char *ltm_rapidapi_stats_url(const ltm_channel *ch, const char *base, const char *remote_id);
/* The figures at the channel's stats_fields paths ("data.stats.likes",
 * "items.0.reactions"): a whole number >= 0, or a string of digits; a path
 * absent from the answer is -1. *found counts the figures read. LTM_EINVAL
 * with a reason when the body is not JSON or a value is not a count. */
int ltm_rapidapi_stats_parse(const ltm_channel *ch, const char *body, size_t len,
                             ltm_figures *out, int *found, char *reason, size_t reason_size);

#endif
