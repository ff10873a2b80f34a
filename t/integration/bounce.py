#!/usr/bin/env python3
"""Delivery status notifications: a permanent failure or an expired message
comes back to the sender as an RFC 3464 report, parsed here with Python's
email package; RET, ENVID, ORCPT and NOTIFY as stored at receipt; mail from
<> never bounces (its failure goes to the postmaster, and that one's failure
is discarded); delay_warning_time sends one warning."""
import email
import email.policy
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402

ORIGINAL = (b"Subject: the original\nFrom: alice@example.test\nMessage-ID: <orig-1@example.test>\n\n"
            b"original body line\n")


def inject(inst, sender, rcpts, content=ORIGINAL, envid=None, ret=None, arrival=None):
    """Queues a message the way smtpd does (lib/queue format, doc/queue-file.md),
    with DSN parameters as stored at receipt; rcpts are (address, notify,
    orcpt) tuples. Returns the queue ID."""
    now = time.time() if arrival is None else arrival
    sec = int(now)
    qid = "%08X%05X%04X" % (sec, int((now - sec) * 1e6), random.randrange(0x10000))
    recs = []

    def rec(t, data):
        data = data.encode() if isinstance(data, str) else data
        recs.append(t.encode() + str(len(data)).encode() + b":" + data + b"\n")
    rec("V", "1")
    rec("T", "%d.%06d" % (sec, int((now - sec) * 1e6)))
    rec("S", sender)
    if envid is not None:
        rec("A", "dsn_envid=" + envid)
    if ret is not None:
        rec("A", "dsn_ret=" + ret)
    for addr, notify, orcpt in rcpts:
        if notify:
            rec("N", notify)
        if orcpt:
            rec("P", orcpt)
        rec("R", addr)
    rec("M", "")
    body = b"".join(recs) + content + b"E20:%020d\n" % len(content)
    tmp = inst.path("queue", "tmp", qid)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    # As smtpd would have: owned by the account the daemons run as (when
    # the tests run as root, the instance runs as nobody).
    st = os.stat(inst.path("queue", "incoming"))
    os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, inst.path("queue", "incoming", qid))
    inst.run("flush")
    return qid


def mbox_messages(inst, user):
    return [email.message_from_bytes(m, policy=email.policy.compat32) for m in split_mbox(inst.read_mbox(user))]


def wait_messages(inst, user, n, timeout=20):
    return wait_for("%d message(s) for %s" % (n, user),
                    lambda: len(mbox_messages(inst, user)) >= n and mbox_messages(inst, user), timeout)


def report_parts(msg):
    """(human text, per-message fields, [per-recipient fields], original part)."""
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert len(parts) == 3, [p.get_content_type() for p in parts]
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    blocks = parts[1].get_payload()  # email parses the status part into header blocks
    return parts[0].get_payload(), blocks[0], blocks[1:], parts[2]


def test_failure_report_fields_hdrs():
    with Instance() as inst:
        inst.start()
        qid = inject(inst, "alice@example.test",
                     [("nosuchuser@example.test", None, "rfc822;NoSuchUser@Example.test"),
                      ("ghost@example.test", "FAILURE", None),
                      ("bob@example.test", None, None)],
                     envid="ENV-123", ret="HDRS")
        wait_messages(inst, "bob", 1)
        msgs = wait_messages(inst, "alice", 1)
        inst.wait_queue_empty()
        assert len(mbox_messages(inst, "alice")) == 1, "both failures in one report"
        m = msgs[0]
        assert m["From"].startswith("MAILER-DAEMON@"), m["From"]
        assert m["To"] == "alice@example.test"
        assert m["Subject"] == "Undelivered Mail Returned to Sender"
        assert m["Auto-Submitted"] == "auto-replied"
        text, per_msg, per_rcpt, orig = report_parts(m)
        assert "This is the mail system at host" in text, text
        assert '<nosuchuser@example.test>: unknown user: "nosuchuser"' in text, text
        assert per_msg["Reporting-MTA"].startswith("dns; "), per_msg.items()
        assert per_msg["Original-Envelope-Id"] == "ENV-123"
        assert per_msg["Arrival-Date"]
        by_rcpt = {r["Final-Recipient"]: r for r in per_rcpt}
        assert set(by_rcpt) == {"rfc822; nosuchuser@example.test", "rfc822; ghost@example.test"}, by_rcpt.keys()
        r = by_rcpt["rfc822; nosuchuser@example.test"]
        assert r["Original-Recipient"] == "rfc822;NoSuchUser@Example.test"
        assert r["Action"] == "failed"
        assert r["Status"] == "5.1.1"
        assert r["Diagnostic-Code"].endswith('; unknown user: "nosuchuser"'), r["Diagnostic-Code"]
        assert r["Last-Attempt-Date"]
        assert by_rcpt["rfc822; ghost@example.test"]["Original-Recipient"] is None
        assert orig.get_content_type() == "text/rfc822-headers"
        assert "Subject: the original" in orig.get_payload()
        assert "original body line" not in orig.get_payload()
        # The notice is mail from <> and Postfix's log lines tell the story.
        assert split_mbox(inst.read_mbox("alice")) and inst.read_mbox("alice").startswith(b"From MAILER-DAEMON ")
        log = inst.maillog()
        assert "%s: to=<nosuchuser@example.test>" % qid in log and "status=bounced" in log, log
        assert "%s: sender non-delivery notification: " % qid in log, log
        assert "%s: removed" % qid in log
        assert "warning" not in log, log


def test_ret_full_and_default():
    with Instance() as inst:
        inst.start()
        inject(inst, "alice@example.test", [("nobody1@example.test", None, None)], ret="FULL")
        m = wait_messages(inst, "alice", 1)[0]
        _, per_msg, _, orig = report_parts(m)
        assert per_msg["Original-Envelope-Id"] is None
        assert orig.get_content_type() == "message/rfc822"
        inner = orig.get_payload()[0]
        assert inner["Subject"] == "the original"
        assert "original body line" in inner.get_payload()
        # No RET: headers only.
        inject(inst, "alice@example.test", [("nobody2@example.test", None, None)])
        m = wait_messages(inst, "alice", 2)[1]
        assert report_parts(m)[3].get_content_type() == "text/rfc822-headers"


def test_notify_never_and_success():
    with Instance() as inst:
        inst.start()
        q1 = inject(inst, "alice@example.test", [("nobody@example.test", "NEVER", None)])
        wait_for("q1 settled", lambda: "%s: removed" % q1 in inst.maillog())
        q2 = inject(inst, "alice@example.test", [("bob@example.test", "SUCCESS,FAILURE", "rfc822;bob@example.test")],
                    envid="S-1")
        m = wait_messages(inst, "alice", 1)[0]
        inst.wait_queue_empty()
        assert len(mbox_messages(inst, "alice")) == 1, "NOTIFY=NEVER sent no report"
        assert len(mbox_messages(inst, "bob")) == 1
        assert m["Subject"] == "Successful Mail Delivery Report"
        text, per_msg, per_rcpt, orig = report_parts(m)
        assert per_msg["Original-Envelope-Id"] == "S-1"
        assert per_rcpt[0]["Action"] == "delivered"
        assert per_rcpt[0]["Status"].startswith("2."), per_rcpt[0]["Status"]
        assert per_rcpt[0]["Original-Recipient"] == "rfc822;bob@example.test"
        log = inst.maillog()
        assert "%s: sender delivery status notification: " % q2 in log, log
        assert "%s: sender non-delivery notification" % q1 not in log


def test_null_sender_never_bounces():
    with Instance() as inst:
        # postmaster reaches alice, so the double bounce can be seen.
        inst.run("conf", "-e", "2bounce_notice_recipient=alice@example.test")
        inst.start()
        qid = inject(inst, "", [("nobody@example.test", None, None)])
        m = wait_messages(inst, "alice", 1)[0]
        inst.wait_queue_empty()
        assert m["Subject"] == "Postmaster Copy: Undelivered Mail", m["Subject"]
        assert inst.read_mbox("alice").startswith(b"From double-bounce@"), inst.read_mbox("alice")[:80]
        log = inst.maillog()
        assert "%s: postmaster non-delivery notification: " % qid in log, log
        # A failed postmaster notice is dropped, never returned again.
        inst.run("conf", "-e", "2bounce_notice_recipient=nobody@example.test")
        inst.reload()
        inst.wait_queue_empty()
        q2 = inject(inst, "", [("nobody2@example.test", None, None)])
        wait_for("discard", lambda: "discarding undeliverable postmaster notification" in inst.maillog())
        inst.wait_queue_empty()
        assert len(mbox_messages(inst, "alice")) == 1
        assert "%s: postmaster non-delivery notification: " % q2 in inst.maillog()


def test_expiry_returns_the_message():
    with Instance() as inst:
        inst.run("conf", "-e", "maximal_queue_lifetime=0s")
        inst.start()
        # Mail for a domain without a transport is deferred; with lifetime
        # 0 the first deferral expires it (Postfix: one delivery attempt).
        inst.sendmail("-f", "alice@example.test", "someone@elsewhere.example",
                      data=b"Subject: far away\n\nbody\n")
        m = wait_messages(inst, "alice", 1)[0]
        inst.wait_queue_empty()
        _, _, per_rcpt, orig = report_parts(m)
        assert per_rcpt[0]["Final-Recipient"] == "rfc822; someone@elsewhere.example"
        # As Postfix: the last temporary status, action failed.
        assert per_rcpt[0]["Action"] == "failed"
        assert per_rcpt[0]["Status"] == "4.4.1"
        assert "no relay transport" in per_rcpt[0]["Diagnostic-Code"], per_rcpt[0]["Diagnostic-Code"]
        assert "Subject: far away" in orig.get_payload()
        log = inst.maillog()
        assert "status=expired, returned to sender" in log, log
        assert "status=bounced" not in log, log


def test_expired_old_message_and_bounce_lifetime():
    with Instance() as inst:
        inst.run("conf", "-e", "bounce_queue_lifetime=0s")
        inst.start()
        # Five days and a minute old: past the default maximal_queue_lifetime.
        old = time.time() - 5 * 86400 - 60
        qid = inject(inst, "alice@example.test", [("x@elsewhere.example", None, None)], arrival=old)
        m = wait_messages(inst, "alice", 1)[0]
        assert report_parts(m)[2][0]["Status"] == "4.4.1"
        assert "%s: from=<alice@example.test>, status=expired, returned to sender" % qid in inst.maillog()
        inst.wait_queue_empty()
        # A young message from <> expires at once with bounce_queue_lifetime=0.
        q2 = inject(inst, "", [("y@elsewhere.example", None, None)])
        wait_for("bounce expiry", lambda: "%s: removed" % q2 in inst.maillog())
        assert "%s: removed" % qid in inst.maillog()


def test_delay_warning_once():
    with Instance() as inst:
        # Retries every second; a warning once mail is 1 s old.
        inst.run("conf", "-e", "delay_warning_time=1s", "minimal_backoff_time=1s", "maximal_backoff_time=1s",
                 "queue_run_delay=1s")
        inst.start()
        inst.sendmail("-f", "alice@example.test", "slow@elsewhere.example",
                      data=b"Subject: slow one\n\nbody\n")
        m = wait_messages(inst, "alice", 1)[0]
        assert m["Subject"] == "Delayed Mail (still being retried)", m["Subject"]
        text, _, per_rcpt, orig = report_parts(m)
        assert "THIS IS A WARNING ONLY" in text
        assert per_rcpt[0]["Final-Recipient"] == "rfc822; slow@elsewhere.example"
        assert per_rcpt[0]["Action"] == "delayed"
        assert per_rcpt[0]["Status"] == "4.4.1"
        assert per_rcpt[0]["Will-Retry-Until"]
        assert "Subject: slow one" in orig.get_payload()
        log = inst.maillog()
        assert ": sender delay notification: " in log, log
        # More retries, no second warning.
        wait_for("three more attempts", lambda: inst.maillog().count("to=<slow@elsewhere.example>") >= 4,
                 timeout=20)
        assert inst.maillog().count("sender delay notification") == 1
        assert len(mbox_messages(inst, "alice")) == 1


def test_smtp_dsn_parameters_from_a_real_client():
    """ENVID, RET, NOTIFY and ORCPT given by smtplib over SMTP; a message too
    big for bob's mailbox bounces with them. RET=FULL of a message over
    bounce_size_limit returns its header only (the whole of it would not fit
    alice's mailbox either)."""
    import smtplib
    with Instance() as inst:
        inst.run("conf", "-e", "mailbox_size_limit=5000", "bounce_size_limit=6000")
        inst.start()
        big = b"Subject: big one\r\nMessage-ID: <big-1@example.test>\r\n\r\n" + (b"y" * 70 + b"\r\n") * 85
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example")
            assert s.has_extn("dsn")
            s.sendmail("alice@example.test", ["bob@example.test"], big,
                       mail_options=["RET=FULL", "ENVID=QQ+2Bx1"],
                       rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;Bob+2BTag@example.test"])
            s.sendmail("alice@example.test", ["bob@example.test"], big, rcpt_options=["NOTIFY=NEVER"])
        m = wait_messages(inst, "alice", 1)[0]
        inst.wait_queue_empty()
        assert len(mbox_messages(inst, "alice")) == 1, "NOTIFY=NEVER over SMTP: no second report"
        text, per_msg, per_rcpt, orig = report_parts(m)
        assert per_msg["Original-Envelope-Id"] == "QQ+x1", per_msg["Original-Envelope-Id"]  # xtext decoded
        assert per_rcpt[0]["Original-Recipient"] == "rfc822;Bob+Tag@example.test", per_rcpt[0]["Original-Recipient"]
        assert per_rcpt[0]["Status"] == "5.2.2"
        assert "mailbox full" in text
        assert orig.get_content_type() == "text/rfc822-headers"
        assert "Message-ID: <big-1@example.test>" in orig.get_payload()


if __name__ == "__main__":
    main([test_failure_report_fields_hdrs, test_ret_full_and_default, test_notify_never_and_success,
          test_null_sender_never_bounces, test_expiry_returns_the_message,
          test_expired_old_message_and_bounce_lifetime, test_delay_warning_once,
          test_smtp_dsn_parameters_from_a_real_client])
