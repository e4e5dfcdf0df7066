/* metrics_live.c: the /metrics lines of the live stream and of access
 * control, appended through srv->metrics_extra[] (server.h). */
#include "server/buf.h"
#include "server/live_hub.h"
#include "server/server.h"

static void line(nlogd_buf *b, const char *name, const char *type, const char *help,
                 const char *labels, unsigned long long v, int header)
{
    if (header)
        nlogd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    nlogd_buf_printf(b, "%s%s %llu\n", name, labels, v);
}

static void live_metrics(void *user, nlogd_buf *b)
{
    nlogd_server *srv = user;
    nlogd_hub_stats st;
    nlogd_hub_stats_get(srv->hub, &st);
    line(b, "nlogd_stream_clients", "gauge", "Live-stream clients connected.", "", st.clients, 1);
    line(b, "nlogd_stream_connections_total", "counter", "Live-stream connections, by outcome.",
         "{result=\"accepted\"}", st.connections, 1);
    line(b, "nlogd_stream_connections_total", "counter", "", "{result=\"refused_full\"}",
         st.refused, 0);
    line(b, "nlogd_stream_entries_published_total", "counter",
         "Stored entries handed to the live stream.", "", st.published, 1);
    line(b, "nlogd_stream_entries_sent_total", "counter", "Entries written to stream clients.", "",
         st.delivered, 1);
    line(b, "nlogd_stream_entries_dropped_total", "counter",
         "Entries a client did not get because its queue was full (reported to it).", "",
         st.dropped, 1);
    line(b, "nlogd_stream_ring_entries", "gauge", "Recent entries kept for resume_from.", "",
         st.ring_entries, 1);
    line(b, "nlogd_stream_ring_bytes", "gauge", "Memory of those entries.", "", st.ring_bytes, 1);
    line(b, "nlogd_http_refused_total", "counter", "Requests refused by access control.",
         "{status=\"401\"}", nlogd_counter(srv, auth_refused), 1);
    line(b, "nlogd_http_refused_total", "counter", "", "{status=\"403\"}",
         nlogd_counter(srv, auth_forbidden), 0);
    line(b, "nlogd_http_refused_total", "counter", "", "{status=\"429\"}",
         nlogd_counter(srv, rate_limited), 0);
    line(b, "nlogd_security_events_total", "counter",
         "Refused requests recorded as security events.", "", nlogd_counter(srv, security_events),
         1);
    line(b, "nlogd_security_event_records_failed_total", "counter",
         "Security-event records the store did not take (also in nlogd's log).", "",
         nlogd_counter(srv, security_events_failed), 1);
    line(b, "nlogd_audit_records_total", "counter", "AUDIT records of exports, queries, changes.",
         "", nlogd_counter(srv, audit_records), 1);
    line(b, "nlogd_audit_failed_total", "counter",
         "AUDIT records that could not be stored (the action was refused).", "",
         nlogd_counter(srv, audit_failed), 1);
}

void nlogd_live_metrics_register(nlogd_server *srv)
{
    for (size_t i = 0; i < sizeof srv->metrics_extra / sizeof srv->metrics_extra[0]; i++)
        if (!srv->metrics_extra[i]) {
            srv->metrics_extra[i] = live_metrics;
            srv->metrics_extra_user[i] = srv;
            return;
        }
}
