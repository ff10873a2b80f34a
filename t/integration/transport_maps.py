#!/usr/bin/env python3
"""transport_maps as Postfix transport(5): a second local(8) service picked
per address with its own concurrency limit, error: bounces (the sender reads
the report with Python's email package), discard: drops with a log line,
retry: and the smtp default wait in the deferred queue with their reason
(mailq shows it). Real clients: smtplib and sendmail."""
import email
import email.policy
import os
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, MAILQ, main, wait_for, split_mbox  # noqa: E402


def smtp_send(inst, sender, rcpts, subject):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        s.sendmail(sender, rcpts, "From: %s\nSubject: %s\n\nhello\n" % (sender, subject))


def test_transport_maps():
    with Instance(users=("alice", "bob", "carol")) as inst:
        with open(inst.path("transport"), "w") as f:
            f.write("carol@example.test slow:\n"
                    "gone@example.test error:5.1.1 this account is closed\n"
                    "moving@example.test retry:4.2.1 mailbox is being moved\n"
                    ".sink.test discard:\n"
                    "bob+spam@example.test discard:spam trap\n")
        inst.run("map", "hash:" + inst.path("transport"))
        with open(inst.path("master.cf"), "a") as f:
            f.write("slow      unix  -       n       n       -       1       local\n")
        inst.run("conf", "-e", "transport_maps=hash:" + inst.path("transport"), "recipient_delimiter=+",
                 "slow_destination_concurrency_limit=1", "local_recipient_maps=")
        inst.start()
        smtp_send(inst, "alice@example.test", ["carol@example.test", "bob@example.test"], "two transports")
        smtp_send(inst, "alice@example.test", ["gone@example.test"], "closed account")
        smtp_send(inst, "alice@example.test", ["x@a.sink.test", "bob+spam@example.test"], "into the sink")
        inst.sendmail("-f", "alice@example.test", "moving@example.test", "far@remote.example",
                      data=b"Subject: waits\n\nx\n")

        inst.wait_log("to=<carol@example.test>, relay=slow,", "to=<bob@example.test>, relay=local,")
        wait_for("bounce", lambda: split_mbox(inst.read_mbox("alice")), timeout=20)
        report = email.message_from_bytes(split_mbox(inst.read_mbox("alice"))[0], policy=email.policy.default)
        status = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"][0]
        fields = status.get_payload()[1]
        assert fields["Final-Recipient"] == "rfc822; gone@example.test", str(fields)
        assert fields["Status"] == "5.1.1" and "this account is closed" in fields["Diagnostic-Code"], str(fields)
        wait_for("discards", lambda: inst.maillog().count("status=sent") >= 5, timeout=20)
        log = inst.maillog()
        assert "to=<x@a.sink.test>, relay=none," in log and "dsn=2.0.0, status=sent (a.sink.test)" in log, log
        assert "to=<bob+spam@example.test>, relay=none," in log and "status=sent (spam trap)" in log
        assert len(split_mbox(inst.read_mbox("bob"))) == 1  # the discarded copy never arrived

        wait_for("deferrals", lambda: inst.maillog().count("status=deferred") >= 2, timeout=20)
        log = inst.maillog()
        assert "to=<moving@example.test>, relay=none," in log and "dsn=4.2.1, status=deferred (mailbox is being moved)" in log
        assert ("to=<far@remote.example>, relay=none," in log and
                "dsn=4.4.1, status=deferred (mail transport unavailable: no relay transport yet)" in log), log
        env = dict(inst.env(), MAIL_CONFIG=inst.root)
        q = subprocess.run([MAILQ], capture_output=True, text=True, env=env, timeout=30).stdout
        assert "(mailbox is being moved)" in q and "(mail transport unavailable: no relay transport yet)" in q, q
        assert "moving@example.test" in q and "far@remote.example" in q


if __name__ == "__main__":
    main([test_transport_maps])
