/* logger_impl.h: the logger object behind the opaque nlog_logger handle. */
#ifndef NLOG_CORE_LOGGER_IMPL_H
#define NLOG_CORE_LOGGER_IMPL_H

#include <stddef.h>

#include <nlog/logger.h>

struct nlog_logger {
    struct nlog__logger_head head; /* must stay first: read inline by nlog_is_enabled() */
    struct nlog_logger *next;      /* hash chain, guarded by the registry lock */
    size_t name_len;               /* bytes, excluding the NUL */
    const char *name;              /* NUL-terminated; stored right after the struct */
};

#endif /* NLOG_CORE_LOGGER_IMPL_H */
