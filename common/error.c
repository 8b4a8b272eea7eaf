/* The LTM_E* codes and their sentences (ltm_strerror). */
#include "ltm/error.h"

const char *ltm_strerror(int code)
{
    switch (code) {
    case LTM_OK: return "success";
    case LTM_ENOMEM: return "out of memory";
    case LTM_EINVAL: return "invalid argument or malformed input";
    case LTM_EIO: return "input/output error";
    case LTM_EMQTT: return "MQTT client error";
    case LTM_ENOTCONN: return "not connected to the broker";
    case LTM_EFULL: return "queue is full";
    case LTM_ETIMEDOUT: return "timed out";
    case LTM_ENOTFOUND: return "not found";
    case LTM_ECONFIG: return "configuration error";
    case LTM_EDB: return "database error";
    }
    return "unknown error";
}
