#!/usr/bin/python3
# smtp_sink.py OUTDIR [FAIL_FIRST]: a real SMTP server (Debian's
# python3-aiosmtpd) for the alert e-mail tests. It listens on 127.0.0.1 on
# an ephemeral port and prints "PORT <n>" once it accepts connections. Each
# message is written to OUTDIR/msg-<n>.eml (the bytes received) and
# OUTDIR/msg-<n>.env (envelope sender and recipients) before the server
# answers 250, so a client that got its 250 finds the files complete. The
# first FAIL_FIRST messages are answered "451 try again later" instead.
# Stopped by SIGTERM from the test.
import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, fail_first):
        self.out = out
        self.fail = fail_first
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail > 0:
            self.fail -= 1
            return "451 4.3.0 try again later"
        self.n += 1
        base = os.path.join(self.out, "msg-%d" % self.n)
        with open(base + ".env", "w") as f:
            f.write("from %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("to %s\n" % r)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 queued"


async def main():
    out = sys.argv[1]
    fail = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    handler = Sink(out, fail)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="nlog-test-relay"), "127.0.0.1", 0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
