/* status.c: texts for nlog_status and the library version. */
#include <nlog/status.h>
#include <nlog/version.h>

const char *nlog_status_str(nlog_status st)
{
    switch (st) {
    case NLOG_OK: return "ok";
    case NLOG_EINVAL: return "invalid argument";
    case NLOG_ENOMEM: return "out of memory";
    case NLOG_EIO: return "output failed";
    case NLOG_ECONFIG: return "invalid configuration";
    case NLOG_ESTATE: return "not allowed in the current state";
    case NLOG_ENOTFOUND: return "not found";
    case NLOG_ELIMIT: return "limit reached";
    case NLOG_EQUEUE_FULL: return "queue full";
    case NLOG_ETIMEDOUT: return "timed out";
    }
    return "unknown status";
}

const char *nlog_version(void)
{
    return NLOG_VERSION_STRING;
}

int nlog_version_number(void)
{
    return NLOG_VERSION_NUMBER;
}
