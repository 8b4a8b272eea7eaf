/* The accounts file (docs/accounts.md) as its one reader reads it:
 * operators edit it by hand, and a deployment may template it. */
#include "fuzz.h"

#include "ltm/accounts.h"

/* Half the token variables set, so both paths of the check run. */
static const char *half_env(const char *name, void *ctx)
{
    (void)ctx;
    return strlen(name) % 2 ? "token" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_strndup(data, size);
    char err[300];
    for (int kind = LTM_JOB_POST; kind <= LTM_JOB_STORY; kind++) {
        ltm_accounts *a = NULL;
        if (ltm_accounts_parse(json, size, &a, err, sizeof err) == 0) {
            ltm_accounts_resolve(a, (ltm_job_kind)kind, half_env, NULL, err, sizeof err);
            for (size_t i = 0; i < a->count; i++) {
                const ltm_account *acc = &a->items[i];
                if (ltm_accounts_find(a, acc->name) == NULL)
                    abort();
                ltm_account_channel(acc, (ltm_job_kind)kind);
                ltm_account_images(acc, (ltm_job_kind)kind);
            }
        }
        ltm_accounts_free(a);
    }
    free(json);
    return 0;
}
