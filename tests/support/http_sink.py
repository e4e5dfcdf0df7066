#!/usr/bin/python3
# http_sink.py OUTDIR [STATUS...]: a real HTTP/1.1 listener for the alert
# webhook tests, on 127.0.0.1 on an ephemeral port; prints "PORT <n>" once
# it accepts connections. Request <n> (1, 2, ...) is written to
# OUTDIR/req-<n>.json (the body) and OUTDIR/req-<n>.hdr (method, path and
# headers) before the answer, which is the n-th STATUS given (200 once they
# run out). The STATUS "hang" reads the request and never answers;
# "429:120" answers 429 with "Retry-After: 120".
# Stopped by SIGTERM from the test.
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT = sys.argv[1]
STATUSES = sys.argv[2:]
COUNT = [0]
NEVER = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        COUNT[0] += 1
        n = COUNT[0]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        base = os.path.join(OUT, "req-%d" % n)
        with open(base + ".hdr", "w") as f:
            f.write("%s %s\n" % (self.command, self.path))
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k, v))
        with open(base + ".tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".tmp", base + ".json")
        status = STATUSES[n - 1] if n <= len(STATUSES) else "200"
        if status == "hang":
            NEVER.wait()
        after = None
        if ":" in status:
            status, after = status.split(":", 1)
        self.send_response(int(status))
        if after is not None:
            self.send_header("Retry-After", after)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, fmt, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print("PORT %d" % server.server_address[1], flush=True)
server.serve_forever()
