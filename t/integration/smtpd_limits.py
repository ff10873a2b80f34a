#!/usr/bin/env python3
"""Client limits counted by anvil across smtpd processes, with Postfix's
replies and warnings: smtpd_client_connection_count_limit,
smtpd_client_connection_rate_limit, smtpd_client_message_rate_limit,
smtpd_client_recipient_rate_limit; anvil's statistics lines; and mail that
keeps flowing when anvil is not there. 127.0.0.1 is in mynetworks, the
default exceptions, so each test empties smtpd_client_event_limit_exceptions."""
import os
import re
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for  # noqa: E402


def connect(inst):
    """An SMTP session that got its greeting, or the SMTPConnectError."""
    try:
        return smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10)
    except smtplib.SMTPConnectError as e:
        return e


def service(inst):
    return "127.0.0.1:%d" % inst.smtp_port


def test_connection_count_and_rate():
    with Instance() as inst:
        inst.run("conf", "-e", "smtpd_client_event_limit_exceptions=", "smtpd_client_connection_count_limit=2",
                 "smtpd_client_connection_rate_limit=5", "anvil_status_update_time=1s")
        inst.start()
        first, second = connect(inst), connect(inst)
        assert isinstance(first, smtplib.SMTP) and isinstance(second, smtplib.SMTP), (first, second)
        third = connect(inst)
        assert isinstance(third, smtplib.SMTPConnectError), third
        assert third.smtp_code == 421, third
        assert re.fullmatch(rb"4\.7\.0 \S+ Error: too many connections from 127\.0\.0\.1", third.smtp_error), third
        log = inst.maillog()
        assert ("warning: Connection concurrency limit exceeded: 3 from unknown[127.0.0.1] for service %s"
                % service(inst)) in log, log
        # The open sessions are not disturbed.
        assert first.noop()[0] == 250 and second.noop()[0] == 250
        first.quit()
        second.quit()
        # smtpd tells anvil before it logs the disconnect, over the one
        # anvil connection of its process: once the three are logged, the
        # count is back down. The rate is not: 3 connections so far, the
        # 4th and 5th pass, the 6th is one too many within
        # anvil_rate_time_unit (60s).
        wait_for("three disconnects", lambda: inst.maillog().count("disconnect from unknown[127.0.0.1]") == 3)
        fourth = connect(inst)
        assert isinstance(fourth, smtplib.SMTP), fourth
        fourth.quit()
        fifth = connect(inst)
        assert isinstance(fifth, smtplib.SMTP), fifth
        fifth.quit()
        sixth = connect(inst)
        assert isinstance(sixth, smtplib.SMTPConnectError) and sixth.smtp_code == 421, sixth
        assert b"Error: too many connections from 127.0.0.1" in sixth.smtp_error, sixth
        log = inst.maillog()
        assert ("warning: Connection rate limit exceeded: 6 from unknown[127.0.0.1] for service %s"
                % service(inst)) in log, log
        # anvil's report, in Postfix's words, every anvil_status_update_time.
        ident = "(%s:127.0.0.1)" % service(inst)
        wait_for("anvil statistics", lambda: "statistics: max connection rate " in inst.maillog()
                 and "/60s for " + ident + " at " in inst.maillog())
        # anvil writes a report's lines one by one, the count after the rate.
        wait_for("anvil connection count", lambda: re.search(
            r"anvil\[\d+\]: statistics: max connection count 3 for " + re.escape(ident)
            + r" at \w{3} [ \d]\d \d\d:\d\d:\d\d", inst.maillog()))


def test_message_and_recipient_rates():
    with Instance() as inst:
        inst.run("conf", "-e", "smtpd_client_event_limit_exceptions=", "smtpd_client_message_rate_limit=2",
                 "smtpd_client_recipient_rate_limit=3")
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.org")
            assert s.docmd("MAIL FROM:<sender@example.org>")[0] == 250
            for u in ("alice", "bob", "alice"):  # a duplicate is queued once, but counts
                assert s.docmd("RCPT TO:<%s@example.test>" % u)[0] == 250
            code, msg = s.docmd("RCPT TO:<root@example.test>")
            assert (code, msg) == (450, b"4.7.1 Error: too many recipients from 127.0.0.1"), (code, msg)
            code, msg = s.data(b"Subject: one\r\n\r\nbody\r\n")
            assert code == 250, (code, msg)
            assert s.docmd("MAIL FROM:<sender@example.org>")[0] == 250
            assert s.docmd("RCPT TO:<alice@example.test>")[0] == 450
            s.rset()
            code, msg = s.docmd("MAIL FROM:<sender@example.org>")
            assert (code, msg) == (450, b"4.7.1 Error: too much mail from 127.0.0.1"), (code, msg)
        # Counted across connections (and smtpd processes): a new session
        # is still over the message rate.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            assert s.docmd("MAIL FROM:<sender@example.org>")[0] == 450
        log = inst.maillog()
        svc = service(inst)
        assert ("warning: Recipient address rate limit exceeded: 4 from unknown[127.0.0.1] for service %s" % svc) in log
        assert ("warning: Message delivery request rate limit exceeded: 3 from unknown[127.0.0.1] for service %s"
                % svc) in log, log
        wait_for("delivery", lambda: b"Subject: one" in inst.read_mbox("alice") and b"Subject: one" in inst.read_mbox("bob"))


def test_without_anvil_mail_flows():
    with Instance() as inst:
        # An older master.cf without the anvil service.
        with open(inst.path("master.cf")) as f:
            text = f.read()
        with open(inst.path("master.cf"), "w") as f:
            f.write("\n".join(line for line in text.split("\n") if not line.startswith("anvil ")))
        inst.run("conf", "-e", "smtpd_client_event_limit_exceptions=", "smtpd_client_connection_count_limit=1",
                 "smtpd_client_message_rate_limit=1")
        inst.start()
        a, b = connect(inst), connect(inst)
        assert isinstance(a, smtplib.SMTP) and isinstance(b, smtplib.SMTP), (a, b)
        for s in (a, b):
            assert s.docmd("MAIL FROM:<sender@example.org>")[0] == 250
            s.quit()
        assert "warning: problem talking to service private/anvil: " in inst.maillog(), inst.maillog()


if __name__ == "__main__":
    main([test_connection_count_and_rate, test_message_and_recipient_rates, test_without_anvil_mail_flows])
