/* nlog.h: umbrella header for NetLink Logging. Include this one.
 * It declares nothing itself. */
#ifndef NLOG_NLOG_H
#define NLOG_NLOG_H

#include <nlog/export.h>
#include <nlog/version.h>
#include <nlog/status.h>
#include <nlog/level.h>
#include <nlog/category.h>
#include <nlog/field.h>
#include <nlog/logger.h>
#include <nlog/config.h>
#include <nlog/lifecycle.h>
#include <nlog/diag.h>
#include <nlog/perf.h>
#include <nlog/format.h>
#include <nlog/security.h>
#include <nlog/seal.h>

#endif /* NLOG_NLOG_H */
