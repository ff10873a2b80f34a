#!/usr/bin/env python3
"""Header completion before queueing, as Postfix's cleanup does it: mail
from local submission (our sendmail) and from local_header_rewrite_clients
(default permit_inet_interfaces: a client on one of this host's addresses,
127.0.0.1 for an instance) gets the Date:, Message-ID: and From: it lacks;
other clients' mail is left as sent (always_add_missing_headers = no)."""
import os
import re
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, split_mbox, wait_for  # noqa: E402


def send(inst, subject):
    """Sends a message without Date:, Message-ID: and From:; returns its queue ID."""
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        s.rcpt("alice@example.test")
        code, msg = s.data(b"Subject: " + subject + b"\r\n\r\nbody\r\n")
        assert code == 250, (code, msg)
        return re.search(rb"queued as (\w+)", msg).group(1)


def delivered(inst, subject):
    def find():
        for m in split_mbox(inst.read_mbox("alice")):
            if b"\nSubject: " + subject + b"\n" in m:
                return m
        return None
    return wait_for("delivery of " + subject.decode(), find)


def header_block(msg):
    return msg.split(b"\n\n", 1)[0] + b"\n"


def test_inet_interfaces_client_and_sendmail_are_completed():
    with Instance() as inst:
        inst.start()
        qid = send(inst, b"from-localhost")
        h = header_block(delivered(inst, b"from-localhost"))
        assert re.search(rb"\nDate: \w{3}, [ \d]?\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", h), h
        assert re.search(rb"\nMessage-ID: <\d{14}\." + qid + rb"@[\w.-]+>\n", h), h
        assert b"\nFrom: sender@example.org\n" in h, h
        # Our sendmail: completed too (its own From: carries the full name).
        inst.sendmail("alice@example.test", data=b"Subject: from-sendmail\n\nbody\n")
        h = header_block(delivered(inst, b"from-sendmail"))
        assert b"\nDate: " in h and b"\nMessage-ID: <" in h and b"\nFrom: " in h, h
        # Headers that are there are never added twice.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.sendmail("sender@example.org", ["alice@example.test"],
                       b"Subject: complete\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n"
                       b"From: Someone <s@example.org>\r\n\r\nbody\r\n")
        h = header_block(delivered(inst, b"complete"))
        assert h.count(b"\nDate: ") == 1 and h.count(b"\nMessage-ID: ") == 1 and h.count(b"\nFrom: ") == 1, h


def test_other_clients_are_left_alone():
    with Instance() as inst:
        inst.run("conf", "-e", "local_header_rewrite_clients=permit_mynetworks", "mynetworks=192.0.2.0/24")
        inst.start()
        send(inst, b"not-ours")
        h = header_block(delivered(inst, b"not-ours"))
        assert b"\nDate: " not in h and b"\nMessage-ID: " not in h and b"\nFrom: " not in h, h
        # always_add_missing_headers = yes completes every client's mail.
        inst.run("conf", "-e", "always_add_missing_headers=yes")
        inst.reload()
        attempt = [0]

        def completed():
            # Until the reload reached the listener, the old smtpd may answer.
            attempt[0] += 1
            subject = b"always-%d" % attempt[0]
            send(inst, subject)
            h = header_block(delivered(inst, subject))
            return h if b"\nDate: " in h else None
        h = wait_for("the reloaded smtpd", completed)
        assert b"\nMessage-ID: <" in h and b"\nFrom: sender@example.org\n" in h, h


if __name__ == "__main__":
    main([test_inet_interfaces_client_and_sendmail_are_completed, test_other_clients_are_left_alone])
