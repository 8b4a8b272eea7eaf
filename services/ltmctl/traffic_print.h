#ifndef LTMCTL_TRAFFIC_PRINT_H
#define LTMCTL_TRAFFIC_PRINT_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* Prints an accepted traffic reply (docs/ltmctl.md) as aligned tables: one
 * per ranking, then the posts when the reply lists them. */
void ltmctl_print_traffic(FILE *out, const cJSON *reply);

#endif
