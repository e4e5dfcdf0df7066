#!/usr/bin/env python3
"""Integration tests of nlogd, driven by a real HTTP client (python3's http.client).

    test_server.py GROUP NLOGD PRODUCER [NLOG_TOOL]

Each group starts its own nlogd on 127.0.0.1 with port 0 (nlogd picks a free
port and writes it to --port-file) in a scratch directory ($NLOG_TEST_TMP),
and stops it by PID. Waiting is always for a condition (a file appears, a
count is reached) with a deadline, never a fixed sleep standing in for it.
"""
import datetime
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)
    return cond


def wait_for(pred, what, timeout=30.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def ts(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Nlogd:
    def __init__(self, exe, work, name="nlogd", extra=(), port=0, config=None):
        self.exe, self.work, self.name = exe, work, name
        self.extra, self.port, self.config = list(extra), port, config
        self.db = os.path.join(work, name + ".db")
        self.proc = None

    def start(self):
        pf = os.path.join(self.work, self.name + ".port")
        if os.path.exists(pf):
            os.unlink(pf)
        args = [self.exe, "--listen", "127.0.0.1:%d" % self.port, "--database", self.db,
                "--port-file", pf] + self.extra
        if self.config:
            args += ["--config", self.config]
        self.log = open(os.path.join(self.work, self.name + ".log"), "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETLINK_LOG_")}
        self.proc = subprocess.Popen(args, cwd=self.work, stdout=self.log, stderr=self.log,
                                     env=env)
        wait_for(lambda: os.path.exists(pf) or self.proc.poll() is not None, "port file")
        if self.proc.poll() is not None:
            raise AssertionError("nlogd exited with %s" % self.proc.returncode)
        self.port = int(open(pf).read())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(60)
            check(rc == 0, "nlogd exits 0 on SIGTERM (got %s)" % rc)
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None

    def rss_anon_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return 0

    def request(self, method, path, body=None, headers=None, timeout=120):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def get_json(self, path, expect=200):
        st, h, data = self.request("GET", path)
        check(st == expect, "GET %s -> %d (got %d: %s)" % (path, expect, st, data[:300]))
        return json.loads(data) if data else None

    def ingest(self, records, fmt="ndjson", gz=False, batch_id=None, expect=202):
        if fmt == "ndjson":
            body = "".join(json.dumps(r) + "\n" for r in records).encode()
        else:
            body = json.dumps(records).encode()
        headers = {"Content-Type": "application/x-ndjson"}
        if gz:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if batch_id:
            headers["X-Batch-Id"] = batch_id
        st, h, data = self.request("POST", "/api/v2/logs/entries", body, headers)
        check(st == expect, "ingest -> %d (got %d: %s)" % (expect, st, data[:300]))
        return json.loads(data) if data else None

    def total(self):
        return self.get_json("/api/v2/logs/stats")["total_entries"]


def rec(t, level="INFO", msg="hello", **kw):
    r = {"timestamp": ts(t), "level": level, "message": msg}
    r.update(kw)
    return r


def error_of(resp_body):
    e = json.loads(resp_body)["error"]
    return e


def expect_error(srv, method, path, status, param=None, body=None, headers=None, needle=None):
    st, h, data = srv.request(method, path, body, headers)
    ok = check(st == status, "%s %s -> %d (got %d: %s)" % (method, path[:120], status, st,
                                                           data[:200]))
    if ok and st >= 400:
        try:
            e = error_of(data)
        except Exception:  # noqa: BLE001
            check(False, "%s %s: error body is JSON {error:{code,message}}" % (method, path))
            return
        check("code" in e and "message" in e, "error has code and message: %s" % e)
        if param is not None:
            check(e.get("parameter") == param or param in e["message"],
                  "error names the parameter %s: %s" % (param, e))
        if needle:
            check(needle in e["message"], "error says %r: %s" % (needle, e["message"]))
    return st


# --------------------------------------------------------------------------- groups

def group_api(a):
    srv = Nlogd(a.nlogd, a.work).start()
    base = now_utc() - datetime.timedelta(minutes=10)
    levels = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "SECURITY", "AUDIT"]
    records = []
    for i in range(240):
        t = base + datetime.timedelta(seconds=i)
        lv = levels[i % 8]
        cat = ["api", "database", "security"][i % 3]
        records.append(rec(t, lv, "request %d handled by Database-Pool worker" % i
                           if i % 10 == 0 else "request %d ok" % i,
                           category=cat, module="svc.%d" % (i % 4), function="handle",
                           line=i, context={"request_id": "r%d" % i},
                           performance_data={"response_time": i / 1000.0}))
    r = srv.ingest(records[:100], fmt="array")
    check(r["accepted"] == 100 and r["rejected"] == 0, "array ingest counts: %s" % r)
    r = srv.ingest(records[100:200], gz=True)
    check(r["accepted"] == 100, "gzip NDJSON ingest: %s" % r)
    bad = [{"level": "INFO", "message": "no time"}, {"timestamp": "x", "level": "INFO",
                                                     "message": "m"}]
    r = srv.ingest(records[200:] + bad)
    check(r["accepted"] == 40 and r["rejected"] == 2, "per-record errors keep good ones: %s" % r)
    check(len(r["errors"]) == 2 and r["errors"][0]["index"] == 40
          and "timestamp" in r["errors"][0]["message"], "errors name the record: %s" % r)

    # dedupe: the same batch id twice is stored once
    extra = [rec(base + datetime.timedelta(seconds=300), "INFO", "dedupe me")]
    r1 = srv.ingest(extra, batch_id="batch-1")
    r2 = srv.ingest(extra, batch_id="batch-1")
    check(r1["duplicate"] is False and r2["duplicate"] is True and r2["accepted"] == 1,
          "a retried batch id is recognised: %s %s" % (r1, r2))
    # the same id with another body is a reused id: 409, nothing stored
    other = [rec(base + datetime.timedelta(seconds=301), "INFO", "not a retry")]
    r3 = srv.ingest(other, batch_id="batch-1", expect=409)
    check(r3["error"]["code"] == "batch_id_reused" and "X-Batch-Id" in r3["error"]["message"],
          "a reused batch id is named: %s" % r3)
    total = srv.total()
    check(total == 241, "stored once: total %d" % total)

    # entries: newest first, level and above
    e = srv.get_json("/api/v2/logs/entries?limit=5")
    check(len(e["entries"]) == 5 and e["entries"][0]["message"] == "dedupe me",
          "newest first: %s" % e["entries"][:1])
    tsl = [x["timestamp"] for x in e["entries"]]
    check(tsl == sorted(tsl, reverse=True), "ordered by time, newest first")
    e = srv.get_json("/api/v2/logs/entries?level=ERROR&limit=1000")
    want = sum(1 for x in records if levels.index(x["level"]) >= 4)
    check(len(e["entries"]) == want and all(levels.index(x["level"]) >= 4 for x in e["entries"]),
          "level=ERROR is ERROR and above: %d of %d" % (len(e["entries"]), want))
    e = srv.get_json("/api/v2/logs/entries?level=warn&category=database&limit=1000")
    want = sum(1 for x in records if levels.index(x["level"]) >= 3 and x["category"] == "database")
    check(len(e["entries"]) == want, "category + level: %d vs %d" % (len(e["entries"]), want))
    e = srv.get_json("/api/v2/logs/entries?logger=svc.1&limit=1000")
    check(len(e["entries"]) == 60 and all(x["module"] == "svc.1" for x in e["entries"]),
          "logger filter")
    t0, t1 = ts(base + datetime.timedelta(seconds=10)), ts(base + datetime.timedelta(seconds=19))
    e = srv.get_json("/api/v2/logs/entries?start_time=%s&end_time=%s" %
                     (urllib.parse.quote(t0), urllib.parse.quote(t1)))
    check(len(e["entries"]) == 10, "time window inclusive: %d" % len(e["entries"]))
    off = (base + datetime.timedelta(seconds=10)).astimezone(
        datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    e2 = srv.get_json("/api/v2/logs/entries?start_time=%s&end_time=%s" %
                      (urllib.parse.quote(off), urllib.parse.quote(t1)))
    check(len(e2["entries"]) == 10, "RFC 3339 offsets are understood")
    e = srv.get_json("/api/v2/logs/entries?search_query=database-pool&limit=1000")
    check(len(e["entries"]) == 24, "search: every word, any case: %d" % len(e["entries"]))
    e = srv.get_json("/api/v2/logs/entries?search_query=Datab*&level=error&limit=1000")
    check(all("Database" in x["message"] and levels.index(x["level"]) >= 4
              for x in e["entries"]) and len(e["entries"]) > 0, "prefix search + level")
    e = srv.get_json("/api/v2/logs/entries?search_query=nosuchword")
    check(e["entries"] == [] and e["next_cursor"] is None, "no match: empty page")
    # pagination: every record exactly once
    seen, cursor, pages = [], None, 0
    while True:
        q = "/api/v2/logs/entries?limit=7" + ("&cursor=" + cursor if cursor else "")
        e = srv.get_json(q)
        seen += [x["message"] + x["timestamp"] for x in e["entries"]]
        pages += 1
        cursor = e["next_cursor"]
        if not cursor:
            break
    check(len(seen) == 241 and len(set(seen)) == 241, "cursor pages cover all once: %d" % len(seen))
    check(pages == 35, "pages of 7: %d" % pages)

    # a record in the product format comes back member for member
    full = rec(base + datetime.timedelta(seconds=400), "INFO", "User authenticated successfully",
               category="api", module="auth_service", function="authenticate_user", line=142,
               context={"request_id": "req_123456", "user_id": "user_789",
                        "ip_address": "192.168.1.100"},
               metadata={"auth_method": "password", "duration_ms": 45, "big": 2 ** 63 - 1},
               performance_data={"response_time": 0.045, "memory_usage": 128.5},
               process_id=4242, thread_id=4243, custom_member={"kept": True})
    srv.ingest([full])
    e = srv.get_json("/api/v2/logs/entries?limit=1")["entries"][0]
    for k in ("level", "category", "message", "module", "function", "line", "context",
              "metadata", "performance_data", "process_id", "thread_id", "custom_member"):
        check(e.get(k) == full[k], "round trip of %s: %r vs %r" % (k, e.get(k), full[k]))
    check(e["timestamp"] == full["timestamp"], "timestamp kept to the microsecond")

    # security events
    sec = []
    for i, (sev, et) in enumerate([("LOW", "LOGIN_SUCCESS"), ("MEDIUM", "LOGIN_FAILURE"),
                                   ("HIGH", "LOGIN_FAILURE"), ("CRITICAL", "BRUTE_FORCE")]):
        sec.append(rec(base + datetime.timedelta(seconds=500 + i), "SECURITY", "event %d" % i,
                       category="security",
                       context={"user_id": "u%d" % (i % 2), "ip_address": "10.0.0.%d" % i},
                       metadata={"event_type": et, "severity": sev}))
    sec.append(rec(base + datetime.timedelta(seconds=510), "SECURITY", "top-level fields",
                   event_type="PERMISSION_DENIED", severity="high", user_id="u9"))
    srv.ingest(sec)
    ev = srv.get_json("/api/v2/logs/security/events?severity=HIGH")["events"]
    check(sorted(x["message"] for x in ev) == ["event 2", "event 3", "top-level fields"],
          "severity=HIGH is HIGH and above: %s" % [x["message"] for x in ev])
    ev = srv.get_json("/api/v2/logs/security/events?event_type=LOGIN_FAILURE&user_id=u1")["events"]
    check([x["message"] for x in ev] == ["event 1"], "event_type + user_id: %s" % ev)
    ev = srv.get_json("/api/v2/logs/security/events?ip_address=10.0.0.3")["events"]
    check(len(ev) == 1 and ev[0]["severity"] == "CRITICAL" and ev[0]["event_type"] == "BRUTE_FORCE",
          "ip_address filter and fields")
    ev = srv.get_json("/api/v2/logs/security/events?start_time=%s&end_time=%s" % (
        urllib.parse.quote(ts(base + datetime.timedelta(seconds=501))),
        urllib.parse.quote(ts(base + datetime.timedelta(seconds=502)))))["events"]
    check(sorted(x["message"] for x in ev) == ["event 1", "event 2"], "security time window")
    p1 = srv.get_json("/api/v2/logs/security/events?limit=2")
    p2 = srv.get_json("/api/v2/logs/security/events?limit=2&cursor=" + p1["next_cursor"])
    check(len(p1["events"]) == 2 and len(p2["events"]) == 2 and
          not set(x["message"] for x in p1["events"]) & set(x["message"] for x in p2["events"]),
          "security events paginate")

    # performance metrics
    pm = srv.get_json("/api/v2/logs/performance/metrics?metric_names=response_time,cpu_usage"
                      "&start_time=" + urllib.parse.quote(ts(base - datetime.timedelta(hours=1))))
    rt = pm["metrics"]["response_time"]
    check(rt["count"] == 241 and abs(rt["max"] - 0.239) < 1e-9 and rt["min"] == 0.0,
          "response_time summary: %s" % {k: rt[k] for k in ("count", "min", "max")})
    check(len(rt["series"]) == 241 and pm["metrics"]["cpu_usage"]["count"] == 0,
          "series and an empty asked-for metric")
    win = "&start_time=" + urllib.parse.quote(ts(base - datetime.timedelta(hours=1)))
    pm = srv.get_json("/api/v2/logs/performance/metrics?metric_names=response_time&category=api" + win)
    check(pm["metrics"]["response_time"]["count"] == 81, "metrics by category: %s" %
          pm["metrics"]["response_time"]["count"])
    pm = srv.get_json("/api/v2/logs/performance/metrics?logger=svc.2" + win)
    check(list(pm["metrics"]) == ["response_time"] and pm["metrics"]["response_time"]["count"] == 60,
          "metrics by logger, every metric found by default")
    pm = srv.get_json("/api/v2/logs/performance/metrics?metric_names=response_time&max_points=10"
                      "&start_time=" + urllib.parse.quote(ts(base - datetime.timedelta(hours=1))))
    check(len(pm["metrics"]["response_time"]["series"]) <= 10, "max_points downsamples")

    # stats
    st = srv.get_json("/api/v2/logs/stats")
    # every security-event query above (6) left an AUDIT record (issue 8)
    audits = st["by_logger"].get("nlogd.audit", 0)
    check(audits == 6, "one AUDIT record per security-event query: %d" % audits)
    check(st["total_entries"] == 247 + audits, "stats total: %s" % st["total_entries"])
    check(st["by_level"]["SECURITY"] == 30 + 5, "by level: %s" % st["by_level"])
    check(st["by_category"]["security"] == 80 + 4 and st["by_logger"]["svc.0"] == 60,
          "by category/logger")
    check(st["rates"]["last_hour"]["records"] == 247 + audits, "last hour rate: %s" % st["rates"])
    check(st["oldest_entry"] == records[0]["timestamp"], "oldest entry")
    check(st["ingest"]["accepted"] == 247 and st["ingest"]["rejected"] == 2
          and st["ingest"]["duplicates"] == 1, "ingest counters: %s" % st["ingest"])
    check(st["store"]["size_bytes"] > 0 and st["uptime_seconds"] > 0, "store size, uptime")

    # export
    st_, h, data = srv.request("POST", "/api/v2/logs/export", json.dumps(
        {"format": "csv", "level": "SECURITY"}), {"Content-Type": "application/json"})
    check(st_ == 200 and h["content-type"].startswith("text/csv") and
          "attachment" in h.get("content-disposition", "") and
          h.get("transfer-encoding") == "chunked", "csv export headers: %s" % h)
    lines = data.decode().split("\r\n")
    check(lines[0].startswith("timestamp,level,category,module,message"), "csv header")
    # 65 records, the 6 audits of the queries and the audit of this export itself
    check(len([x for x in lines[1:] if x]) == 65 + 7, "csv rows (SECURITY and AUDIT): %d" %
          len(lines))
    srv.ingest([rec(base + datetime.timedelta(seconds=600), "ERROR", "=HYPERLINK(\"x\")",
                    module="@evil", function="+f")])
    _, _, data = srv.request("POST", "/api/v2/logs/export", json.dumps(
        {"format": "csv", "start_time": ts(base + datetime.timedelta(seconds=599))}))
    row = data.decode().split("\r\n")[1]
    check("\"'=HYPERLINK(\"\"x\"\")\"" in row and "\"'@evil\"" in row and "\"'+f\"" in row,
          "formula injection neutralised, quotes doubled: %s" % row)
    _, h, data = srv.request("POST", "/api/v2/logs/export",
                             json.dumps({"format": "txt", "level": "SECURITY", "search_query": "event"}))
    txt = data.decode().splitlines()
    check(h["content-type"].startswith("text/plain") and len(txt) == 4 and
          "] [SECURITY] " in txt[0] and txt[0].endswith(": event 0"), "txt export: %s" % txt[:1])
    _, h, data = srv.request("POST", "/api/v2/logs/export", json.dumps({"format": "json"}))
    arr = json.loads(data)
    # 248 records + 10 audits (6 queries, 4 exports including this one)
    check(h["content-type"] == "application/json" and len(arr) == 248 + 10,
          "json export: %d" % len(arr))
    check([x["timestamp"] for x in arr] == sorted(x["timestamp"] for x in arr),
          "export is oldest first")
    _, h, data = srv.request("POST", "/api/v2/logs/export", json.dumps(
        {"format": "ndjson", "category": "api"}))
    nd = [json.loads(x) for x in data.decode().splitlines()]
    check(len(nd) == 81 and all(x["category"] == "api" for x in nd), "ndjson export filter")

    # health, metrics, 404, 405
    h = srv.get_json("/health")
    check(h["status"] == "ok", "health ok")
    st_, hd, data = srv.request("GET", "/metrics")
    text = data.decode()
    check(st_ == 200 and hd["content-type"].startswith("text/plain") and
          "# TYPE nlogd_ingest_records_total counter" in text and
          'nlogd_ingest_records_total{result="accepted"} 248' in text, "prometheus text")
    expect_error(srv, "GET", "/api/v2/logs/nothing", 404)
    st_ = expect_error(srv, "DELETE", "/api/v2/logs/entries", 405)
    srv.stop()


def group_bad_input(a):
    cfg = os.path.join(a.work, "small.yaml")
    with open(cfg, "w") as f:
        f.write("server:\n  max_body_size: 64KB\n")
    srv = Nlogd(a.nlogd, a.work, config=cfg).start()
    E = "/api/v2/logs/entries?"
    cases = [
        (E + "level=LOUD", "level", "accepted: TRACE"),
        (E + "level=", "level", None),
        (E + "start_time=yesterday", "start_time", "RFC 3339"),
        (E + "start_time=2024-02-30T00:00:00Z", "start_time", "no such date"),
        (E + "end_time=2024-01-01T00:00:00", "end_time", "time zone"),
        (E + "start_time=2024-01-02T00:00:00Z&end_time=2024-01-01T00:00:00Z", "end_time", None),
        (E + "limit=0", "limit", "1 to 1000"),
        (E + "limit=1001", "limit", "1 to 1000"),
        (E + "limit=ten", "limit", None),
        (E + "limit=99999999999999999999999", "limit", None),
        (E + "cursor=abc", "cursor", None),
        (E + "cursor=" + "0" * 32, "cursor", "other filters"),
        (E + "colour=red", None, "accepted: level"),
        (E + "level=INFO&level=ERROR", "level", "more than once"),
        (E + "search_query=%zz", "search_query", "%-encoding"),
        (E + "search_query=" + "a" * 600, "search_query", None),
        (E + "search_query=%21%21%21", "search_query", "no words"),
        (E + "search_query=" + "+".join("w%d" % i for i in range(20)), "search_query", None),
        (E + "category=" + "c" * 100, "category", None),
        (E + "logger=a%01b", "logger", "control"),
        ("/api/v2/logs/security/events?severity=SEVERE", "severity", "LOW, MEDIUM"),
        ("/api/v2/logs/security/events?limit=-1", "limit", None),
        ("/api/v2/logs/performance/metrics?metric_names=a,,b", "metric_names", None),
        ("/api/v2/logs/performance/metrics?metric_names=bad%20name", "metric_names", None),
        ("/api/v2/logs/performance/metrics?max_points=0", "max_points", None),
        ("/api/v2/logs/stats?x=1", None, None),
        ("/health?verbose=1", None, None),
    ]
    for path, param, needle in cases:
        expect_error(srv, "GET", path, 400, param, needle=needle)
    # times: only what the store can represent; RFC 3339 details (review items 4, 17)
    for path, param, needle in [
            (E + "end_time=2260-01-01T00:00:00Z", "end_time",
             "1700-01-01T00:00:00Z to 2249-12-31T23:59:59.999999999Z"),
            (E + "start_time=1690-06-01T00:00:00Z", "start_time", "out of range"),
            ("/api/v2/logs/security/events?end_time=2255-01-01T00:00:00Z", "end_time", "out of range"),
            ("/api/v2/logs/performance/metrics?start_time=1684-01-01T00:00:00Z", "start_time",
             "out of range"),
            (E + "start_time=2024-01-15T10:30:60Z", "start_time", "leap second")]:
        expect_error(srv, "GET", path, 400, param, needle=needle)
    expect_error(srv, "POST", "/api/v2/logs/export", 400, "end_time",
                 body='{"end_time":"2300-01-01T00:00:00Z"}', needle="to 2249-12-31")
    srv.get_json(E + "start_time=1700-01-01T00:00:00Z&end_time=2249-12-31T23:59:59.999999999Z")
    srv.get_json(E + "start_time=2024-01-15T10:30:45.1234567890123Z")  # > 9 digits: truncated
    srv.get_json(E + "end_time=2016-12-31T23:59:60Z")
    # every refusal names its parameter in "parameter" (review item 16)
    for path, param in [(E + "lev%zzel=INFO", "lev%zzel"), (E + "lev%00el=INFO", "lev\\x00el"),
                        (E + "=x", "query string"), (E + "colour=red", "colour")]:
        st, _, data = srv.request("GET", path)
        check(st == 400 and error_of(data).get("parameter") == param,
              "%s names %r: %s" % (path, param, data[:200]))
    st, _, data = srv.request("POST", "/api/v2/logs/export", '{"colour":"red"}')
    check(st == 400 and error_of(data).get("parameter") == "colour",
          "an unknown export member is named: %s" % data[:200])
    # the widest window through the metric buckets: no overflow (UBSan aborts nlogd on one)
    now = now_utc()
    srv.ingest([rec(now - datetime.timedelta(seconds=i), "INFO", "p", performance_data={"rt": i})
                for i in range(5)])
    pm = srv.get_json("/api/v2/logs/performance/metrics?start_time=1700-01-01T00:00:00Z"
                      "&end_time=2249-12-31T23:59:59.999999999Z&max_points=2")
    check(pm and pm["metrics"]["rt"]["count"] == 5 and len(pm["metrics"]["rt"]["series"]) == 1,
          "a 550-year window is bucketed: %s" % (pm and pm["metrics"]))
    # a cursor used with other filters is refused
    good = Nlogd.ingest  # noqa: F841 (documentation: the happy path is in group_api)
    base = now_utc()
    srv.ingest([rec(base + datetime.timedelta(seconds=i)) for i in range(3)])
    c = srv.get_json(E + "limit=1")["next_cursor"]
    expect_error(srv, "GET", E + "limit=1&level=ERROR&cursor=" + c, 400, "cursor", needle="filters")

    X = "/api/v2/logs/export"
    for body, param in [("not json", "body"), ("[1]", "body"), ('{"format":"xml"}', "format"),
                        ('{"format":"csv","level":5}', "level"), ('{"colour":"red"}', None),
                        ('{"start_time":"soon"}', "start_time"), ("", "body")]:
        expect_error(srv, "POST", X, 400, param, body=body)
    P = "/api/v2/logs/entries"
    expect_error(srv, "POST", P, 400, "body", body="")
    expect_error(srv, "POST", P, 400, "body", body="[{\"level\":")
    expect_error(srv, "POST", P, 400, None, body=b"\x1f\x8b garbage",
                 headers={"Content-Encoding": "gzip"})
    expect_error(srv, "POST", P, 415, "Content-Encoding", body="x",
                 headers={"Content-Encoding": "br"})
    expect_error(srv, "POST", P, 413, "body", body="x" * 70000)
    expect_error(srv, "POST", P, 413, "body", body=gzip.compress(b"\n" * 200000),
                 headers={"Content-Encoding": "gzip"})
    # gzip: concatenated members are one body; a stream cut short is refused whole
    gz = {"Content-Encoding": "gzip"}
    nd = "".join(json.dumps(rec(base + datetime.timedelta(seconds=i), msg="member %d" % i)) + "\n"
                 for i in range(4)).encode()
    st, _, data = srv.request("POST", P, gzip.compress(nd[:150]) + gzip.compress(nd[150:]), gz)
    check(st == 202 and json.loads(data)["accepted"] == 4,
          "a body of two gzip members is decoded whole: %d %s" % (st, data[:200]))
    expect_error(srv, "POST", P, 400, "Content-Encoding", body=gzip.compress(nd)[:-5],
                 headers=gz, needle="the gzip stream ends early")
    expect_error(srv, "POST", P, 400, "X-Batch-Id", body="[]", headers={"X-Batch-Id": "a b"})
    r = srv.ingest([{"timestamp": "2024-01-01T00:00:00Z", "level": "INFO", "message": 5},
                    {"timestamp": "2024-01-01T00:00:00Z", "level": "INFO", "message": "m",
                     "context": []},
                    {"timestamp": "1500-01-01T00:00:00Z", "level": "INFO", "message": "m"},
                    {"timestamp": "2024-01-01T00:00:00Z", "level": "INFO", "message": "m",
                     "line": -1}, "not an object"], fmt="array")
    check(r["accepted"] == 0 and r["rejected"] == 5, "bad records are refused: %s" % r)
    st, _, data = srv.request("POST", P, b'{"timestamp":"2024-01-01T00:00:00Z","level":"INFO",'
                                         b'"message":"\xff\xfe"}\n')
    check(st == 202 and json.loads(data)["rejected"] == 1, "invalid UTF-8 is refused")

    # no input makes a 5xx: random query strings and bodies
    rnd = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz=&%+*_-.:0123456789ZT\x00\x7f\xff"
    names = ["level", "category", "logger", "start_time", "end_time", "search_query", "limit",
             "cursor", "severity", "metric_names", "max_points"]
    paths = ["/api/v2/logs/entries", "/api/v2/logs/security/events",
             "/api/v2/logs/performance/metrics", "/api/v2/logs/stats", "/health", "/metrics"]
    for i in range(300):
        q = "&".join("%s=%s" % (rnd.choice(names), urllib.parse.quote(
            "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30))), safe="%=&+*:"))
            for _ in range(rnd.randint(0, 4)))
        st, _, data = srv.request("GET", rnd.choice(paths) + "?" + q)
        check(st < 500, "no 5xx for %r (got %d)" % (q, st))
    for i in range(100):
        body = bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 400)))
        st, _, _ = srv.request("POST", rnd.choice([P, X]), body)
        check(st < 500, "no 5xx for a random body (got %d)" % st)
    check(srv.get_json("/health")["status"] == "ok", "still healthy")
    srv.stop()


def group_throttle(a):
    """429 while the queue is full. Deterministic: the test holds SQLite's write lock on
    the store, so the writer cannot commit and the first batch stays queued until the
    probe has been answered (no race with the writer, whatever the machine's speed)."""
    import sqlite3
    cfg = os.path.join(a.work, "q.yaml")
    with open(cfg, "w") as f:
        f.write("server:\n  queue_records: 1000\n")
    srv = Nlogd(a.nlogd, a.work, config=cfg).start()
    base = now_utc()
    first_body = "".join(json.dumps(rec(base, "INFO", "bulk %d" % i)) + "\n" for i in range(2000))
    res = {}
    lock = sqlite3.connect(srv.db, timeout=60, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the writer now waits (busy timeout 10 s) for this

    def first():
        res["first"] = srv.request("POST", "/api/v2/logs/entries", first_body)

    t = threading.Thread(target=first)
    t.start()
    # 2000 records queued (more than the whole queue: taken because it was empty)
    wait_for(lambda: srv.get_json("/health")["queue"]["records"] == 2000, "the batch queued",
             timeout=60)
    st, h, data = srv.request("POST", "/api/v2/logs/entries", json.dumps(rec(base)) + "\n")
    check(st == 429 and "retry-after" in h and error_of(data)["code"] == "queue_full",
          "429 with Retry-After while the queue is full (got %d %s)" % (st, data[:200]))
    lock.execute("ROLLBACK")
    lock.close()
    t.join()
    check(res["first"][0] == 202, "the queued batch is stored once the store can write")
    st = srv.get_json("/api/v2/logs/stats")
    check(st["total_entries"] == 2000 and st["ingest"]["throttled"] == 1,
          "nothing of the refused request stored: %s" % st["ingest"])
    srv.stop()

    # the byte budget: room for 10M records but 1 MB of them. The first batch
    # (20,000 records, about 3 MB parsed) is taken because nothing waits and
    # stays queued behind the test's write lock; the probe is refused by bytes.
    with open(cfg, "w") as f:
        f.write("server:\n  queue_records: 10000000\n  queue_max_bytes: 1MB\n")
    srv = Nlogd(a.nlogd, a.work, name="bytes", config=cfg).start()
    big_body = "".join(json.dumps(rec(base, "INFO", "bulk %d" % i)) + "\n"
                       for i in range(20000))
    lock = sqlite3.connect(srv.db, timeout=60, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")

    def big():
        res["big"] = srv.request("POST", "/api/v2/logs/entries", big_body)

    t = threading.Thread(target=big)
    t.start()
    wait_for(lambda: srv.get_json("/health")["queue"]["records"] == 20000, "the batch queued",
             timeout=60)
    st, h, data = srv.request("POST", "/api/v2/logs/entries", json.dumps(rec(base)) + "\n")
    err = error_of(data) if st != 202 else {"code": "", "message": ""}
    check(st == 429 and "retry-after" in h and err["code"] == "queue_full"
          and "of 1048576 bytes" in err["message"],
          "429 with Retry-After while the queue's bytes are spent (got %d %s)" % (st, data[:300]))
    lock.execute("ROLLBACK")
    lock.close()
    t.join()
    check(res["big"][0] == 202, "the queued batch is stored once the store can write")
    check(srv.total() == 20000, "nothing of the refused request stored")
    srv.stop()

    # a request whose records take more than server.max_request_memory: 413
    with open(cfg, "w") as f:
        f.write("server:\n  max_request_memory: 1MB\n")
    srv = Nlogd(a.nlogd, a.work, name="memory", config=cfg).start()
    body = "".join(json.dumps(rec(base, "INFO", "m %d" % i)) + "\n" for i in range(20000))
    st, _, data = srv.request("POST", "/api/v2/logs/entries", body)
    err = error_of(data)
    check(st == 413 and err["code"] == "payload_too_large"
          and "server.max_request_memory" in err["message"],
          "413 naming server.max_request_memory (got %d %s)" % (st, data[:300]))
    check(srv.total() == 0, "nothing of it stored")
    srv.stop()


def group_export_1m(a):
    srv = Nlogd(a.nlogd, a.work).start()
    n = int(1000000 * float(os.environ.get("NLOG_TEST_SCALE", "1")))
    n -= n % 50000
    base = now_utc() - datetime.timedelta(hours=2)
    levels = ["DEBUG", "INFO", "INFO", "WARNING", "ERROR"]
    t0 = time.monotonic()
    chunk = 50000
    tmpl = ('{"timestamp":"%s","level":"%s","category":"api","message":"request %d done",'
            '"module":"svc","context":{"i":%d}}\n')
    for start in range(0, n, chunk):
        lines = []
        for i in range(start, start + chunk):
            t = base + datetime.timedelta(microseconds=i * 5000)
            lines.append(tmpl % (ts(t), levels[i % 5], i, i))
        body = gzip.compress("".join(lines).encode(), 1)
        st, _, data = srv.request("POST", "/api/v2/logs/entries", body,
                                  {"Content-Encoding": "gzip"})
        check(st == 202 and json.loads(data)["accepted"] == chunk, "bulk ingest %d" % start)
    print("ingested %d records in %.1f s" % (n, time.monotonic() - t0), flush=True)
    baseline = srv.rss_anon_kib()
    peak = [baseline]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], srv.rss_anon_kib())
            time.sleep(0.05)

    th = threading.Thread(target=sample)
    th.start()

    def stream(body):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=300)
        c.request("POST", "/api/v2/logs/export", body=json.dumps(body))
        r = c.getresponse()
        rows, size, rest = 0, 0, b""
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            size += len(b)
            rows += b.count(b"\n")
        c.close()
        return r.status, rows, size

    t0 = time.monotonic()
    st, rows, size = stream({"format": "csv"})
    el = time.monotonic() - t0
    # header + every record + the AUDIT record of this export (written before it runs)
    check(st == 200 and rows == n + 2, "csv export of every record: %d rows" % (rows - 1))
    print("csv export: %d rows, %.1f MB in %.1f s" % (rows - 1, size / 1e6, el), flush=True)
    st, rows, _ = stream({"format": "ndjson", "level": "WARNING"})
    # WARNING and above includes AUDIT: the two exports' audit records
    check(rows == 2 * n // 5 + 2, "filtered export yields exactly the matching rows: %d" % rows)
    st, rows, _ = stream({"format": "ndjson", "level": "ERROR", "start_time": ts(base),
                          "end_time": ts(base + datetime.timedelta(microseconds=5000 * 99999))})
    check(rows == 20000, "time window + level: %d" % rows)
    st, rows, _ = stream({"format": "txt", "search_query": "request 77*"})
    want = sum(1 for i in range(n) if str(i).startswith("77"))
    check(rows == want, "search over the whole store: %d of %d" % (rows, want))
    stop.set()
    th.join()
    growth = (peak[0] - baseline) / 1024.0
    print("nlogd anonymous memory: %.1f MB before exports, peak %.1f MB during" %
          (baseline / 1024.0, peak[0] / 1024.0), flush=True)
    if float(os.environ.get("NLOG_TEST_SCALE", "1")) >= 1:
        check(growth < 64, "export memory is bounded: grew %.1f MB while streaming %.0f MB" %
              (growth, size / 1e6))
    else:  # sanitizer builds: ASan's quarantine keeps freed memory, RSS says nothing here
        print("memory bound not checked in a sanitizer build", flush=True)
    srv.stop()


def group_kill9(a):
    srv = Nlogd(a.nlogd, a.work).start()
    port = srv.port
    n = 30000
    pdir = os.path.join(a.work, "producer")
    os.makedirs(pdir, exist_ok=True)
    out = open(os.path.join(a.work, "producer.out"), "wb")
    prod = subprocess.Popen([a.producer, "http://127.0.0.1:%d" % port, pdir, str(n), "5"],
                            stdout=out, stderr=subprocess.STDOUT)
    wait_for(lambda: srv.total() >= 3000, "the first records stored", timeout=60)
    srv.kill9()
    spool = os.path.join(pdir, "spool")
    wait_for(lambda: os.path.isdir(spool) and
             any(f.endswith(".batch") for f in os.listdir(spool)), "batches spooled", timeout=60)
    srv = Nlogd(a.nlogd, a.work, port=port).start()
    rc = prod.wait(180)
    out.close()
    check(rc == 0, "producer exits 0")
    counters = json.loads(open(os.path.join(a.work, "producer.out")).read().splitlines()[-1])
    print("producer counters:", counters, flush=True)
    check(counters["spooled"] > 0 and counters["dropped"] == 0 and counters["failed"] == 0,
          "records went through the spool, none lost: %s" % counters)
    check(not [f for f in os.listdir(spool) if f.endswith(".batch")], "the spool drained")
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=300)
    c.request("POST", "/api/v2/logs/export", body=json.dumps({"format": "ndjson"}))
    data = c.getresponse().read()
    seen = {}
    for line in data.decode().splitlines():
        r = json.loads(line)
        if r["module"] == "nlogd.audit":
            continue  # the export's own AUDIT record (issue 8), not a producer's
        key = r["message"] if r["level"] != "SECURITY" else "sec %d" % r["metadata"]["seq"]
        seen[key] = seen.get(key, 0) + 1
    dup = [k for k, v in seen.items() if v != 1]
    check(len(seen) == n and not dup, "every record stored exactly once: %d distinct, %d "
          "duplicated" % (len(seen), len(dup)))
    st = srv.get_json("/api/v2/logs/stats")
    print("server after restart:", st["ingest"], st["store"], flush=True)

    # Filtered lists and searches read the secondary and word indexes plus
    # the rows not yet indexed (after the restart they may still lag): the
    # same records, once each, while lagging and after catching up.
    def listed(query):
        got, cursor = [], None
        while True:
            page = srv.get_json("/api/v2/logs/entries?%s&limit=1000%s" %
                                (query, "&cursor=" + cursor if cursor else ""))
            got += [e["message"] if e["level"] != "SECURITY" else "sec %d" %
                    e["metadata"]["seq"] for e in page["entries"]
                    if e["module"] != "nlogd.audit"]  # the export's own AUDIT record (issue 8)
            cursor = page.get("next_cursor")
            if not cursor:
                return got

    def check_filtered(when):
        sec = listed("level=SECURITY")
        check(sorted(sec) == sorted("sec %d" % i for i in range(999, n, 1000)),
              "%s: level=SECURITY lists the %d security records once each (got %d)"
              % (when, n // 1000, len(sec)))
        found = listed("level=INFO&search_query=record")
        check(len(found) == n - n // 1000 and len(set(found)) == len(found),
              "%s: search lists every other record once (got %d)" % (when, len(found)))
    check_filtered("after the restart")
    wait_for(lambda: srv.get_json("/api/v2/logs/stats")["store"]["text_index_pending"] == 0,
             "the indexes caught up", timeout=120)
    check_filtered("indexes caught up")
    wait_for(lambda: srv.get_json("/api/v2/logs/stats")["store"]["index_merging"] is False,
             "the index segments merged (idle)", timeout=120)
    check(b"\nnlogd_index_merging 0\n" in srv.request("GET", "/metrics")[2],
          "/metrics: nlogd_index_merging 0 once merged")
    check_filtered("index merged")
    srv.stop()


def group_watch(a):
    wdir = os.path.join(a.work, "logs")
    os.makedirs(wdir, exist_ok=True)
    main = os.path.join(wdir, "netlink.log")
    base = now_utc()
    seq = [0]

    def lines(count):
        out = []
        for _ in range(count):
            out.append(json.dumps(rec(base + datetime.timedelta(milliseconds=seq[0]), "INFO",
                                      "line %d" % seq[0])) + "\n")
            seq[0] += 1
        return "".join(out)

    def write(path, count):
        with open(path, "a") as f:
            f.write(lines(count))

    write(main, 500)
    with open(os.path.join(wdir, "security.log"), "w") as f:  # duplicates of netlink.log: skipped
        f.write(json.dumps(rec(base, "SECURITY", "dup")) + "\n")
    # rotated segments (the library's names), their security/audit twins: not followed
    for name in ("netlink-20240101T000000Z-000001.log", "security-20240101T000000Z-000001.log",
                 "audit-20240101T000000Z-000002.log", "security-app.log"):
        with open(os.path.join(wdir, name), "w") as f:
            f.write(json.dumps(rec(base, "INFO", "old segment " + name)) + "\n")
    # a symbolic link to a file outside the directory, and a FIFO: not followed, not opened
    outside = os.path.join(a.work, "outside.log")
    with open(outside, "w") as f:
        f.write(json.dumps(rec(base, "INFO", "outside")) + "\n")
    os.symlink(outside, os.path.join(wdir, "link.log"))
    os.mkfifo(os.path.join(wdir, "fifo.log"))
    srv = Nlogd(a.nlogd, a.work, extra=["--watch", wdir]).start()
    wait_for(lambda: srv.total() == 500, "500 watched lines stored")
    with open(main, "a") as f:
        f.write('{"timestamp":"%s","level":"INFO","message":"partial' % ts(base))
    write(main, 0)
    os.rename(main, main + ".1")   # rotation: the partial line is completed in the old file
    with open(main + ".1", "a") as f:
        f.write(' line"}\n')
    write(main, 300)
    wait_for(lambda: srv.total() == 801, "rotation followed (old file finished, new one read)")

    # rotation to the library's segment name: the segment is not read again (review item 3)
    write(main, 99)
    wait_for(lambda: srv.total() == 900, "lines before the rotation")
    os.rename(main, os.path.join(wdir, "netlink-20990101T000000Z-000001.log"))
    write(main, 50)
    wait_for(lambda: srv.total() >= 950, "the new file after the rotation")

    # a chunk whose first line starts with '[' is still read line by line (item 11)
    other = os.path.join(wdir, "app.log")
    with open(other, "w") as f:
        f.write("[1, 2, 3]\n" + lines(100))
    wait_for(lambda: srv.total() >= 1050, "lines after a '[' line are kept")
    st = srv.get_json("/api/v2/logs/stats")
    check(st["ingest"]["rejected"] == 1, "the '[' line is one rejected line: %s" % st["ingest"])
    # a followed file renamed to another followed name keeps its position
    os.rename(other, os.path.join(wdir, "app-renamed.log"))
    write(os.path.join(wdir, "app-renamed.log"), 10)
    wait_for(lambda: srv.total() >= 1060, "the renamed file's new lines")
    srv.stop()
    write(main, 200)  # written while nlogd is down
    srv = Nlogd(a.nlogd, a.work, extra=["--watch", wdir]).start()
    wait_for(lambda: srv.total() >= 1260, "position remembered across a restart")
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    c.request("POST", "/api/v2/logs/export", body=json.dumps({"format": "ndjson"}))
    msgs = [r["message"] for r in map(json.loads, c.getresponse().read().decode().splitlines())
            if r["module"] != "nlogd.audit"]  # not the export's own AUDIT record
    check(len(msgs) == len(set(msgs)) == 1260, "no line stored twice: %d stored, %d distinct" %
          (len(msgs), len(set(msgs))))
    check(not [m for m in msgs if m.startswith("old segment") or m in ("dup", "outside")],
          "segments, security/audit files, links and FIFOs are not followed")
    check(srv.get_json("/api/v2/logs/stats")["ingest"]["watched_files"] == 200,
          "counted (since this nlogd started)")
    srv.stop()


def group_watch_rotate(a):
    """The watcher against the library's own rotation (tiny max_file_size), with
    compression on and off, while nlogd runs and while it is stopped: every record once."""
    fprod = os.path.join(os.path.dirname(a.producer), "server_file_producer")
    for comp in ("zstd", "none"):
        wdir = os.path.join(a.work, "logs-" + comp)
        os.makedirs(wdir)
        srv = Nlogd(a.nlogd, a.work, name="nlogd-" + comp, extra=["--watch", wdir]).start()
        prod = subprocess.Popen([fprod, wdir, "16384", comp], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        markers = [0]

        def cmd(c):
            prod.stdin.write(c + "\n")
            prod.stdin.flush()
            reply = prod.stdout.readline()
            check(reply.startswith("ok"), "producer: %r" % reply)
            return reply

        def search(word):
            e = srv.get_json("/api/v2/logs/entries?search_query=" + word)
            return e and len(e["entries"]) == 1

        def settle():
            # Two markers, one after the other: once the second is stored, a whole scan
            # of the directory ran after everything logged before the first.
            for _ in range(2):
                markers[0] += 1
                word = "marker%s%d" % (comp, markers[0])
                cmd("m " + word)
                wait_for(lambda: search(word), word, timeout=60)

        total = 0
        for phase in range(12):  # about 60 lines per phase: at most one rotation each
            total = int(cmd("60").split()[1])
            wait_for(lambda: srv.total() >= total + markers[0], "phase %d stored" % phase,
                     timeout=60)
        settle()
        check(srv.total() == total + markers[0], "%s: every record once while running: %d "
              "stored of %d" % (comp, srv.total(), total + markers[0]))
        segs = [f for f in os.listdir(wdir) if f.startswith("netlink-")]
        check(len(segs) >= 5, "%s: the library rotated (%d segments)" % (comp, len(segs)))
        if comp == "none":  # rotated while nlogd is stopped: the segments are caught up
            srv.stop()
            total = int(cmd("400").split()[1])  # several rotations
            srv = Nlogd(a.nlogd, a.work, name="nlogd-" + comp, extra=["--watch", wdir]).start()
            wait_for(lambda: srv.total() >= total + markers[0], "caught up after a restart",
                     timeout=60)
            settle()
        prod.stdin.write("q\n")
        prod.stdin.close()
        check(prod.wait(60) == 0, "producer exits 0")
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        c.request("POST", "/api/v2/logs/export", body=json.dumps({"format": "ndjson"}))
        msgs = [r["message"] for r in map(json.loads, c.getresponse().read().decode().splitlines())
                if r["module"] != "nlogd.audit"]  # not the export's own AUDIT record (issue 8)
        want = set(("wsec %d" if i % 10 == 9 else "wrec %d") % i for i in range(total))
        got = [m for m in msgs if not m.startswith("marker")]
        check(len(got) == len(set(got)) and set(got) == want,
              "%s: every record exactly once: %d stored, %d distinct, %d wanted, %d missing" %
              (comp, len(got), len(set(got)), len(want), len(want - set(got))))
        srv.stop()


def blocked_signals(pid):
    """{tid: SigBlk mask} of every thread of pid but the main one (which unblocks the
    signals it waits for while in sigwait)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        if int(tid) == pid:
            continue
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("SigBlk:"):
                        out[int(tid)] = int(line.split()[1], 16)
        except OSError:
            pass  # the thread ended meanwhile
    return out


def group_shutdown(a):
    srv = Nlogd(a.nlogd, a.work).start()
    # SIGTERM/SIGINT reach only the main thread's sigwait: every other thread blocks them
    # (they inherit the mask set before the first thread starts, review item 18)
    masks = blocked_signals(srv.proc.pid)
    term_int = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1))
    check(masks and all(m & term_int == term_int for m in masks.values()),
          "every thread blocks SIGTERM and SIGINT: %s" % {t: hex(m) for t, m in masks.items()})
    base = now_utc()
    acked = []  # (client, batch) answered 202

    def client(k):
        for j in range(20):
            body = "".join(json.dumps(rec(base, "INFO", "c%d b%d r%d" % (k, j, i))) + "\n"
                           for i in range(2000))
            try:
                st, _, data = srv.request("POST", "/api/v2/logs/entries", body)
            except Exception:  # noqa: BLE001 (the connection may be refused once stopping)
                return
            if st == 202 and json.loads(data)["accepted"] == 2000:
                acked.append((k, j))

    ths = [threading.Thread(target=client, args=(k,)) for k in range(3)]
    for t in ths:
        t.start()
    wait_for(lambda: len(acked) >= 3, "some batches acknowledged")
    srv.stop()  # SIGTERM during ingest: exits 0 (checked in stop)
    for t in ths:
        t.join()
    srv = Nlogd(a.nlogd, a.work).start()
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
    c.request("POST", "/api/v2/logs/export", body=json.dumps({"format": "ndjson"}))
    stored = {}
    for line in c.getresponse().read().decode().splitlines():
        r = json.loads(line)
        if r["module"] == "nlogd.audit":
            continue  # the export's own AUDIT record (issue 8), not a batch's
        stored[r["message"]] = stored.get(r["message"], 0) + 1
    # every record of every acknowledged batch, by content, exactly once
    missing = [(k, j) for k, j in acked
               if any(stored.get("c%d b%d r%d" % (k, j, i)) != 1 for i in range(2000))]
    check(not missing, "every acknowledged batch survived SIGTERM whole and once: %d acked, "
          "missing or doubled: %s" % (len(acked), missing[:5]))
    batches = {}
    for m, n in stored.items():
        kb = m.rsplit(" ", 1)[0]
        batches[kb] = batches.get(kb, 0) + n
    check(all(n == 2000 for n in batches.values()), "batches are whole: %s" %
          [(b, n) for b, n in batches.items() if n != 2000][:5])
    srv.stop()


def read_stream(srv, method, path, body=None, timeout=60, rcvbuf=None, pause=None):
    """One request; returns (status, headers, body, complete). complete is False when a
    chunked body ended without its terminating chunk (the server aborted the stream), None
    when the server neither finished nor closed within `timeout`. pause() is called once,
    after the first read of the body."""
    import socket
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    if rcvbuf:  # a small window (set before connecting) keeps the server from running ahead
        sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sk.settimeout(timeout)
        sk.connect(("127.0.0.1", srv.port))
        c.sock = sk
    if isinstance(body, str):
        body = body.encode()
    c.request(method, path, body=body)
    r = c.getresponse()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    parts, complete, paused = [], True, False
    try:
        while True:
            b = r.read(65536)
            if not b:
                break
            parts.append(b)
            if pause and not paused:
                paused = True
                pause()
    except http.client.IncompleteRead as e:
        parts.append(e.partial)
        complete = False
    except socket.timeout:
        complete = None  # the server neither finished nor closed the connection
    c.close()
    return r.status, hdrs, b"".join(parts), complete


def group_parts(a):
    """A large NDJSON body is parsed and stored in parts (rest_ingest.c): the answer, the
    stored rows and the batch id behave exactly as for a small body."""
    srv = Nlogd(a.nlogd, a.work).start()
    base = now_utc() - datetime.timedelta(hours=1)
    n = 12000
    bad = {5: "not json", 6000: '{"level":"INFO","message":"no time"}', 11990: "[1,2]"}
    lines, line_of = [], {}
    for i in range(n):
        if i % 1000 == 999:
            lines.append("")  # blank lines count as lines, not records
        line_of[i] = len(lines) + 1
        lines.append(bad[i] if i in bad else json.dumps(
            rec(base + datetime.timedelta(microseconds=i * 100), "INFO", "part record %d" % i,
                category="api", module="svc.%d" % (i % 3))))
    body = ("\n".join(lines) + "\n").encode()
    check(len(body) > 4 * 256 * 1024, "the body spans several parts (%d bytes)" % len(body))
    hdr = {"Content-Type": "application/x-ndjson", "X-Batch-Id": "parts-1"}
    st, _, data = srv.request("POST", "/api/v2/logs/entries", body, hdr)
    r = json.loads(data)
    check(st == 202 and r["accepted"] == n - 3 and r["rejected"] == 3 and not r["duplicate"],
          "202 with the counts of every part: %s" % data[:300])
    got = [(e["index"], e["line"]) for e in r["errors"]]
    check(got == [(i, line_of[i]) for i in sorted(bad)],
          "errors name each record's index and line across parts: %s" % got)
    check(srv.total() == n - 3, "every good record stored once (total %d)" % srv.total())
    found = srv.get_json("/api/v2/logs/entries?search_query=record&limit=1000&logger=svc.1")
    check(len(found["entries"]) == 1000, "the rows are queryable")
    st, _, data = srv.request("POST", "/api/v2/logs/entries", body, hdr)
    r = json.loads(data)
    check(st == 202 and r["duplicate"] is True and r["accepted"] == n - 3,
          "a retry of the large batch is a duplicate with its original count: %s" % data[:200])
    st, _, data = srv.request("POST", "/api/v2/logs/entries", body.replace(b"part record 7",
                                                                             b"other record"), hdr)
    check(st == 409 and error_of(data)["code"] == "batch_id_reused",
          "another large body under the id: 409 (got %d)" % st)
    gz = gzip.compress(body.replace(b"part record", b"zipped record"), 1)
    st, _, data = srv.request("POST", "/api/v2/logs/entries", gz,
                              {"Content-Encoding": "gzip", "X-Batch-Id": "parts-2"})
    check(st == 202 and json.loads(data)["accepted"] == n - 3, "gzip, in parts: %d" % st)
    check(srv.total() == 2 * (n - 3), "total %d" % srv.total())
    srv.stop()


def group_big(a):
    """Large values and many rows: every answer is whole or visibly broken, never a 500,
    never a silently short body; scans per request are bounded."""
    scale = float(os.environ.get("NLOG_TEST_SCALE", "1"))
    T0 = time.monotonic()
    srv = Nlogd(a.nlogd, a.work).start()
    base = now_utc() - datetime.timedelta(minutes=30)

    # --- export: one record larger than any buffer, and one whose JSON escaping grows 6x
    blob = ("abcdefghij\"" * 454546)[:5000000]
    ctl = "\x01" * (1 << 20)
    recs = [rec(base, "INFO", "before", category="big"),
            rec(base + datetime.timedelta(seconds=1), "INFO", "huge metadata", category="big",
                metadata={"blob": blob}),
            rec(base + datetime.timedelta(seconds=2), "INFO", ctl, category="big"),
            rec(base + datetime.timedelta(seconds=3), "INFO", "after", category="big")]
    r = srv.ingest(recs)
    check(r["accepted"] == 4, "big records stored: %s" % r)
    X = "/api/v2/logs/export"
    st, h, data, done = read_stream(srv, "POST", X, json.dumps({"format": "json", "category": "big"}))
    check(st == 200 and done, "json export of big records completes (%d, %s)" % (st, done))
    try:
        arr = json.loads(data)
    except ValueError as e:
        arr = []
        check(False, "json export is valid JSON: %s" % e)
    check([x["message"][:20] for x in arr] == ["before", "huge metadata", ctl[:20], "after"],
          "json export holds every record: %s" % [x["message"][:10] for x in arr])
    check(len(arr) == 4 and arr[1]["metadata"]["blob"] == blob and arr[2]["message"] == ctl,
          "big values exported whole")
    st, h, data, done = read_stream(srv, "POST", X, json.dumps({"format": "ndjson", "category": "big"}))
    lines = data.decode().splitlines()
    check(st == 200 and done and len(lines) == 4 and
          json.loads(lines[1])["metadata"]["blob"] == blob and json.loads(lines[3])["message"] == "after",
          "ndjson export of big records: %d lines" % len(lines))
    st, h, data, done = read_stream(srv, "POST", X, json.dumps({"format": "csv", "category": "big"}))
    import csv
    import io
    csv.field_size_limit(1 << 30)
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    check(st == 200 and done and len(rows) == 5 and rows[4][4] == "after" and
          json.loads(rows[2][10])["blob"] == blob, "csv export: whole rows (%d)" % len(rows))
    st, h, data, done = read_stream(srv, "POST", X, json.dumps({"format": "txt", "category": "big"}))
    tl = data.decode().splitlines()
    check(st == 200 and done and len(tl) == 4 and tl[3].endswith(": after") and
          tl[2].count("\\x01") == 1 << 20, "txt export: whole lines, nothing cut")

    print("big: exports checked at %.1f s" % (time.monotonic() - T0), flush=True)
    # --- entries: pages stop at a byte budget (next_cursor), whatever the page size asked
    n_big = max(20, int(150 * scale))
    sep = "\u2028" * 349520  # 1 MiB of UTF-8 (with the number); 2 MiB once escaped in JSON
    t0 = base + datetime.timedelta(seconds=100)
    for start in range(0, n_big, 12):
        body = "".join(json.dumps(rec(t0 + datetime.timedelta(seconds=i), "INFO", sep + str(i),
                                      category="sep"), ensure_ascii=False) + "\n"
                       for i in range(start, min(n_big, start + 12))).encode()
        st, _, d = srv.request("POST", "/api/v2/logs/entries", body)
        check(st == 202 and json.loads(d)["accepted"] == min(n_big, start + 12) - start,
              "ingest of 1 MiB messages (%d: %s)" % (st, d[:200]))
    baseline = srv.rss_anon_kib()
    seen, cursor, pages, short = [], None, 0, 0
    while True:
        q = "/api/v2/logs/entries?category=sep&limit=1000" + ("&cursor=" + cursor if cursor else "")
        st, _, data, done = read_stream(srv, "GET", q)
        if not check(st == 200 and done, "page of big entries -> 200 (got %d: %s)" % (st, data[:200])):
            break
        e = json.loads(data)
        seen += [x["message"][len(sep):] for x in e["entries"]]
        check(all(x["message"].startswith(sep) for x in e["entries"]), "messages whole")
        pages += 1
        cursor = e["next_cursor"]
        if cursor and len(e["entries"]) < 1000:
            short += 1
        if not cursor or pages > n_big:
            break
    grown = (srv.rss_anon_kib() - baseline) / 1024.0
    check(sorted(seen, key=int) == [str(i) for i in range(n_big)], "every big entry once across pages: %d of %d" % (len(seen), n_big))
    check(short > 0, "pages end early at the byte budget with a next_cursor (%d pages)" % pages)
    if scale >= 1:
        check(grown < 64, "memory of paging big entries is bounded: grew %.1f MB" % grown)

    print("big: entries checked at %.1f s" % (time.monotonic() - T0), flush=True)
    # --- stats: many distinct categories give the 100 largest and the total. Names of 64
    # bytes that are mostly '"' (escaped to 2 bytes in JSON) make 150,000 of them (19 MB of
    # JSON) more than the 16 MiB the answer was once built in.
    n_cat = int(150000 * scale)
    for start in range(0, n_cat, 40000):
        body = "".join('{"timestamp":"%s","level":"INFO","message":"m","category":"%s%06d"}\n'
                       % (ts(base), '\\"' * 58, i) for i in range(start, min(n_cat, start + 40000)))
        st, _, d = srv.request("POST", "/api/v2/logs/entries", body)
        check(st == 202 and json.loads(d)["accepted"] == min(n_cat, start + 40000) - start,
              "ingest of distinct categories (%d: %s)" % (st, d[:200]))
    st, _, d = srv.request("GET", "/api/v2/logs/stats")
    check(st == 200, "stats with %d categories -> 200 (got %d: %s)" % (n_cat, st, d[:200]))
    if st == 200:
        s = json.loads(d)
        # + 2: "big" and "sep"; + 1: "audit", of the exports' own AUDIT records (issue 8)
        check(len(s["by_category"]) == 100 and s["categories_total"] == n_cat + 3 and
              s["by_category"]["sep"] == n_big and len(d) < 1 << 20,
              "by_category: the 100 largest and categories_total (%d, %s)" %
              (len(s["by_category"]), s.get("categories_total")))
    print("big: stats checked at %.1f s" % (time.monotonic() - T0), flush=True)
    # --- security events: a bounded scan per request, continued by next_cursor
    n_sec = 50000
    sec = ['{"timestamp":"%s","level":"SECURITY","message":"needle","metadata":{"ip_address":'
           '"203.0.113.9","event_type":"PROBE","severity":"HIGH"}}\n' % ts(base - datetime.timedelta(minutes=1))]
    sec += ['{"timestamp":"%s","level":"SECURITY","message":"hay %d","metadata":{"ip_address":'
            '"10.0.%d.%d","event_type":"LOGIN_FAILURE"}}\n' % (ts(base + datetime.timedelta(milliseconds=i)),
                                                              i, i // 250, i % 250)
            for i in range(n_sec)]
    for start in range(0, len(sec), 25000):
        st, _, d = srv.request("POST", "/api/v2/logs/entries", "".join(sec[start:start + 25000]))
        check(st == 202, "ingest of security records (%d)" % st)
    found, cursor, pages, truncated = [], None, 0, 0
    while True:
        e = srv.get_json("/api/v2/logs/security/events?ip_address=203.0.113.9&limit=10" +
                         ("&cursor=" + cursor if cursor else ""))
        found += [x["message"] for x in e["events"]]
        truncated += e.get("truncated") is True
        pages += 1
        cursor = e["next_cursor"]
        if not cursor or pages > 20:
            break
    check(found == ["needle"], "the one matching event is found across pages: %s" % found)
    check(pages == 3 and truncated == 2,
          "each request scans a bounded number of rows: %d pages, %d truncated" % (pages, truncated))

    print("big: security checked at %.1f s" % (time.monotonic() - T0), flush=True)
    # --- performance metrics: a bounded number of records read per request
    n_perf = 120000
    tp = now_utc() - datetime.timedelta(minutes=20)
    for start in range(0, n_perf, 40000):
        body = "".join('{"timestamp":"%s","level":"INFO","message":"p","category":"perf",'
                       '"performance_data":{"response_time":%d}}\n'
                       % (ts(tp + datetime.timedelta(milliseconds=i)), i)
                       for i in range(start, start + 40000))
        st, _, d = srv.request("POST", "/api/v2/logs/entries", body)
        check(st == 202, "ingest of performance records (%d)" % st)
    pm = srv.get_json("/api/v2/logs/performance/metrics?metric_names=response_time&category=perf")
    rt = pm["metrics"]["response_time"]
    check(pm["truncated"] is True and pm["records_scanned"] == 100000 and rt["count"] == 100000
          and rt["max"] == n_perf - 1 and rt["min"] == n_perf - 100000,
          "perf scan bounded, newest kept: %s" % {k: pm[k] for k in ("truncated", "records_scanned")})
    want = ts(tp + datetime.timedelta(milliseconds=n_perf - 100000))
    check(pm.get("oldest_scanned") == want, "oldest_scanned says where the scan stopped: %s vs %s" %
          (pm.get("oldest_scanned"), want))

    print("big: perf checked at %.1f s" % (time.monotonic() - T0), flush=True)
    # --- a store failure in the middle of an export: the stream breaks and the connection closes
    n_exp = 100000  # about 11 MB: more than socket buffers hold
    body = "".join('{"timestamp":"%s","level":"INFO","message":"e %d","category":"exp"}\n'
                   % (ts(base + datetime.timedelta(milliseconds=i)), i) for i in range(n_exp))
    st, _, _ = srv.request("POST", "/api/v2/logs/entries", body)
    check(st == 202, "ingest for the broken export")

    def break_store():
        import sqlite3
        db = sqlite3.connect(srv.db, timeout=60, isolation_level=None)
        db.execute("ALTER TABLE entries RENAME TO entries_gone")
        db.close()

    st, h, data, done = read_stream(srv, "POST", X, json.dumps({"format": "ndjson", "category": "exp"}),
                                    timeout=20, rcvbuf=4096, pause=break_store)
    check(done is not None, "the connection is closed, not left open (no read timeout)")
    check(st == 200 and done is False,
          "a stream broken by the store ends without its last chunk (%s)" % done)
    check(data.count(b"\n") < n_exp, "and is visibly short: %d lines" % data.count(b"\n"))
    srv.kill9()  # the store was broken on purpose


def group_slow(a):
    """server.request_timeout_ms covers the whole body: a client trickling its body is
    answered 408 and disconnected, so it cannot hold a worker thread (review item 9)."""
    import socket
    cfg = os.path.join(a.work, "slow.yaml")
    with open(cfg, "w") as f:
        # 2 workers: no live-stream clients then (each would hold one; issue 8)
        f.write("server:\n  request_timeout_ms: 1000\n  num_threads: 2\n"
                "  stream_max_clients: 0\n")
    srv = Nlogd(a.nlogd, a.work, config=cfg).start()
    line = json.dumps(rec(now_utc(), "INFO", "trickled")) + "\n"
    body = (line * 4).encode()
    results = {}

    def trickle(k):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.sendall(b"POST /api/v2/logs/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
                  % len(body))
        sent, got = 0, b""
        s.settimeout(0.1)
        while sent < len(body):  # one byte every 0.1 s: far slower than the timeout allows
            try:
                got = s.recv(4096)
                break  # the server answered before the body was complete
            except socket.timeout:
                pass
            except OSError:
                got = b"reset"
                break
            try:
                s.send(body[sent:sent + 1])
                sent += 1
            except OSError:
                got = b"reset"
                break
        if sent == len(body):
            s.settimeout(30)
            try:
                got = s.recv(4096)
            except OSError:
                got = b"reset"
        results[k] = (sent, got)
        s.close()

    ths = [threading.Thread(target=trickle, args=(k,)) for k in range(3)]
    for t in ths:
        t.start()
    # two workers, three trickling clients: /health is served once the timeout frees them
    st, _, data = srv.request("GET", "/health", timeout=15)
    check(st == 200, "/health is served while slow clients trickle (%d)" % st)
    for t in ths:
        t.join()
    for k, (sent, got) in sorted(results.items()):
        check(sent < len(body), "trickling client %d was cut off before its body was complete "
              "(%d of %d bytes sent)" % (k, sent, len(body)))
        check(got == b"reset" or got.startswith(b"HTTP/1.1 408"),
              "trickling client %d got 408 or a closed connection: %r" % (k, got[:60]))
    # a body that ends early is refused as a whole, not stored in part
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(b"POST /api/v2/logs/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
              % (len(body) * 2) + body)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    check(got.startswith(b"HTTP/1.1 400") and b"malformed_body" in got,
          "a body cut short is a 400: %r" % got[:120])
    check(srv.total() == 0, "nothing of the cut or trickled bodies was stored")
    r = srv.ingest([rec(now_utc(), "INFO", "after")])
    check(r["accepted"] == 1, "the workers serve again")
    srv.stop()


def group_retention(a):
    srv = Nlogd(a.nlogd, a.work, extra=["--retention-days", "30"]).start()
    now = now_utc()
    old = [rec(now - datetime.timedelta(days=40, seconds=i), "INFO", "old %d" % i) for i in range(50)]
    new = [rec(now - datetime.timedelta(days=1, seconds=i), "INFO", "new %d" % i) for i in range(20)]
    srv.ingest(old + new)
    wait_for(lambda: srv.total() == 20, "records older than 30 days deleted")
    e = srv.get_json("/api/v2/logs/entries?search_query=old&limit=1000")
    check(e["entries"] == [], "deleted records are gone from search too")
    check(len(srv.get_json("/api/v2/logs/entries?search_query=new&limit=1000")["entries"]) == 20,
          "kept records are searchable")
    srv.stop()


def group_cli(a):
    if not a.tool:
        print("skipped: no nlog tool")
        return
    srv = Nlogd(a.nlogd, a.work).start()
    url = "http://127.0.0.1:%d" % srv.port
    base = now_utc() - datetime.timedelta(minutes=5)
    srv.ingest([rec(base + datetime.timedelta(seconds=i), ["INFO", "ERROR"][i % 2],
                    "cli %d" % i, category="api") for i in range(30)])

    def run(*args, expect=0):
        p = subprocess.run([a.tool] + list(args), capture_output=True, timeout=60)
        check(p.returncode == expect, "nlog %s -> %d (got %d: %s)" %
              (" ".join(args), expect, p.returncode, p.stderr[:300]))
        return p.stdout.decode(), p.stderr.decode()

    out, _ = run("query", "--server", url, "--level", "error", "--limit", "5")
    lines = [x for x in out.splitlines() if x]
    check(len(lines) == 5 and all("[ERROR   ]" in x for x in lines), "query prints console lines")
    out, _ = run("query", "--server", url, "--search", "cli", "--json", "--limit", "100")
    check(len(out.splitlines()) == 30, "query --json pages through: %d" % len(out.splitlines()))
    out, _ = run("query", "--server", url, "--since", ts(base + datetime.timedelta(seconds=20)),
                 "--until", ts(base + datetime.timedelta(seconds=24)))
    check(len(out.splitlines()) == 5, "since/until")
    dest = os.path.join(a.work, "out.csv")
    out, err = run("export", "--server", url, "--format", "csv", "--category", "api", "-o", dest)
    check(len(open(dest, newline="").read().split("\r\n")) == 32, "export -o FILE writes every row")
    check("\r" not in err, "no progress bar when stderr is not a terminal")
    out, _ = run("stats", "--server", url)
    check("total_entries" in out or "30" in out, "stats prints")
    out, _ = run("stats", "--server", url, "--json")
    js = json.loads(out)
    audits = js["by_logger"].get("nlogd.audit", 0)  # `nlog export` is audited (issue 8)
    check(js["total_entries"] == 30 + audits and audits == 1, "stats --json: %s" % js)
    # a record nested as deep as the server stores (64) pages through `nlog query` (item 13)
    deep = {}
    cur = deep
    for _ in range(60):
        cur["d"] = {}
        cur = cur["d"]
    cur["leaf"] = 1
    srv.ingest([rec(base + datetime.timedelta(seconds=40), "INFO", "deepword record",
                    context=deep)])
    out, _ = run("query", "--server", url, "--search", "deepword", "--json")
    got = json.loads(out.splitlines()[0]) if out.strip() else {}
    check(got.get("context") == deep, "nlog query prints a record nested 62 levels deep")
    _, err = run("query", "--server", url, "--level", "LOUD", expect=1)
    check("level" in err and "accepted" in err, "server errors are shown: %s" % err)
    _, err = run("query", "--server", "http://127.0.0.1:1", expect=1)
    check("cannot" in err.lower() or "connect" in err.lower(), "unreachable server: %s" % err)
    run("query", "--bogus", expect=2)
    run("export", "--server", url, "--format", "xml", "-o", dest, expect=2)
    srv.stop()


def group_demo(a):
    if not a.demo:
        print("skipped: examples not built")
        return
    srv = Nlogd(a.nlogd, a.work).start()
    url = "http://127.0.0.1:%d" % srv.port
    p = subprocess.run([a.demo, url, "3000"], capture_output=True, timeout=120, cwd=a.work)
    check(p.returncode == 0 and b"acknowledged" in p.stdout, "the demo runs: %s" % p.stdout)
    st = srv.get_json("/api/v2/logs/stats")
    for cat in ("api", "database", "security", "performance", "audit"):
        check(st["by_category"].get(cat, 0) > 0, "demo logs category %s" % cat)
    check(st["total_entries"] >= 3000, "demo volume: %d" % st["total_entries"])
    ev = srv.get_json("/api/v2/logs/security/events?severity=CRITICAL")["events"]
    check(any(e["event_type"] == "BRUTE_FORCE" and e["ip_address"] == "203.0.113.66" for e in ev),
          "the brute-force burst is flagged")
    ev = srv.get_json("/api/v2/logs/security/events?event_type=LOGIN_FAILURE&"
                      "ip_address=203.0.113.66&limit=1000")["events"]
    check(len(ev) == 25, "25 failed logins from one address: %d" % len(ev))
    pm = srv.get_json("/api/v2/logs/performance/metrics?metric_names=response_time,cpu_usage,"
                      "query_time_ms")["metrics"]
    check(all(pm[m]["count"] > 0 for m in pm), "demo metrics: %s" %
          {k: v["count"] for k, v in pm.items()})
    srv.stop()


class Args:
    pass


def main():
    a = Args()
    group = sys.argv[1]
    a.nlogd, a.producer = sys.argv[2], sys.argv[3]
    a.tool = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    a.demo = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    a.work = os.environ.get("NLOG_TEST_TMP") or "/tmp/nlogd-test-%d" % os.getpid()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    fn = globals()["group_" + group]
    try:
        fn(a)
    except AssertionError as e:
        FAILURES.append(str(e))
        print("FAIL:", e, flush=True)
    if FAILURES:
        print("%d failed" % len(FAILURES))
        for name in os.listdir(a.work):
            if name.endswith(".log"):
                sys.stdout.write(open(os.path.join(a.work, name), errors="replace").read()[-3000:])
        sys.exit(1)
    print("server %s: ok" % group)


if __name__ == "__main__":
    main()
