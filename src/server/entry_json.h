/* entry_json.h: a stored entry as a record of the product's format
 * (docs/record-format.md member order), for the entries API and JSON/NDJSON export.
 * Members the format does not know, kept at ingest, follow at the end. */
#ifndef NLOGD_ENTRY_JSON_H
#define NLOGD_ENTRY_JSON_H

#include "server/buf.h"
#include "server/store.h"

int nlogd_entry_json(nlogd_buf *b, const nlogd_entry *e);

#endif
