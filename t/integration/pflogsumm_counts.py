#!/usr/bin/env python3
"""The mail log in Postfix's shape, fed to pflogsumm (the Debian package),
yields the right received / delivered / bounced counts: messages sent with
smtplib, one of them too big for the recipient's mailbox, so it bounces and
the non-delivery report is delivered to the sender."""
import os
import re
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402

PFLOGSUMM = shutil.which("pflogsumm") or "/usr/sbin/pflogsumm"


def counts(log_path):
    out = subprocess.run([PFLOGSUMM, "--syslog-name=buzon", "--problems-first", log_path],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    found = {}
    for what in ("received", "delivered", "forwarded", "deferred", "bounced", "rejected"):
        m = re.search(r"^\s+(\d+)\s+%s\b" % what, out, re.M)
        assert m, "no %s line in pflogsumm output:\n%s" % (what, out)
        found[what] = int(m.group(1))
    return found, out


def test_pflogsumm_counts():
    with Instance() as inst:
        # A mailbox limit that a 6,000-byte message exceeds and a headers-only
        # report does not.
        inst.run("conf", "-e", "mailbox_size_limit=5000")
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            for i in range(3):
                s.sendmail("alice@example.test", ["bob@example.test"], b"Subject: small %d\r\n\r\nhi\r\n" % i)
            s.sendmail("alice@example.test", ["bob@example.test"],
                       b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 85)
        wait_for("bounce to alice", lambda: inst.read_mbox("alice"), timeout=20)
        inst.wait_queue_empty()
        assert len(split_mbox(inst.read_mbox("bob"))) == 3
        assert b"Undelivered Mail Returned to Sender" in inst.read_mbox("alice")
        found, out = counts(inst.path("log", "maillog"))
        # 4 from SMTP clients; 3 to bob plus the report to alice; 1 bounce.
        assert found["received"] == 4, out
        assert found["delivered"] == 4, out
        assert found["bounced"] == 1, out
        assert found["deferred"] == 0, out
        assert "mailbox full" in out, out


if __name__ == "__main__":
    main([test_pflogsumm_counts])
