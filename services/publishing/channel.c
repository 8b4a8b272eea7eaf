/* The table of channel adapters: one entry per channel type (channels.h). */
#include "publishing/channels.h"

extern const ltm_channel_ops ltm_sandbox_ops, ltm_linkedin_ops, ltm_instagram_ops,
    ltm_rapidapi_ops, ltm_webhook_ops;

const ltm_channel_ops *ltm_channel_ops_of(ltm_channel_type type)
{
    switch (type) {
    case LTM_CHANNEL_LINKEDIN: return &ltm_linkedin_ops;
    case LTM_CHANNEL_INSTAGRAM: return &ltm_instagram_ops;
    case LTM_CHANNEL_RAPIDAPI: return &ltm_rapidapi_ops;
    case LTM_CHANNEL_WEBHOOK: return &ltm_webhook_ops;
    default: return &ltm_sandbox_ops;
    }
}
