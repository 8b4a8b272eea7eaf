#ifndef LTM_ERROR_H
#define LTM_ERROR_H

/* Every fallible function of the common library returns 0 on success or one
 * of these negative codes; ltm_strerror() turns a code into a sentence. */
enum {
    LTM_OK = 0,
    LTM_ENOMEM = -1,    /* out of memory */
    LTM_EINVAL = -2,    /* invalid argument or malformed input */
    LTM_EIO = -3,       /* system call or file I/O failed */
    LTM_EMQTT = -4,     /* MQTT client library refused the operation */
    LTM_ENOTCONN = -5,  /* not connected to the broker */
    LTM_EFULL = -6,     /* a bounded queue is full */
    LTM_ETIMEDOUT = -7, /* an operation did not finish in time */
    LTM_ENOTFOUND = -8, /* the thing looked up does not exist */
    LTM_ECONFIG = -9,   /* a setting is missing or malformed */
    LTM_EDB = -10,      /* the database reported an error */
};

/* Static string, never NULL. */
const char *ltm_strerror(int code);

#endif
