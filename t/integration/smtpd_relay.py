#!/usr/bin/env python3
"""Relay control from outside and inside mynetworks: the classic open-relay
tricks are all refused from a client outside mynetworks and accepted from
inside, with Postfix 3.7's replies. 127.0.0.1 is made "outside" by setting
mynetworks to a range without it."""
import os
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for  # noqa: E402

# RCPT arguments that try to relay through example.test to elsewhere.example.
BATTERY = [
    "<user@elsewhere.example>",
    "<user@ELSEWHERE.EXAMPLE.>",
    "<user%elsewhere.example@example.test>",
    "<user%elsewhere.example@EXAMPLE.TEST.>",
    "<user%elsewhere.example@mail.example.test>",
    "<\"user@elsewhere.example\"@example.test>",
    "<\"user%elsewhere.example\"@example.test>",
    "<@example.test:user@elsewhere.example>",
    "<@example.test,@mail.example.test:user@elsewhere.example>",
    "<user@elsewhere.example@example.test>",
    "<elsewhere.example!user@example.test>",
    "<elsewhere.example!user>",
    "<user%elsewhere.example>",
    "<user%elsewhere.example@[127.0.0.1]>",
    "<user@[192.0.2.1]>",
    "<user@[IPv6:2001:db8::1]>",
    "<alice%elsewhere.example%example.test@example.test>",
]


def rcpt_replies(inst, rcpts, data=False):
    out = []
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
        s.ehlo("client.example.org")
        code, msg = s.docmd("MAIL FROM:<sender@example.org>")
        assert code == 250, (code, msg)
        for r in rcpts:
            code, msg = s.docmd("RCPT TO:" + r)
            out.append((r, code, msg.decode()))
        if data:
            code, msg = s.data(b"Subject: relay\r\n\r\nbody\r\n")
            out.append(("DATA", code, msg.decode()))
    return out


def test_battery_refused_outside_mynetworks():
    with Instance() as inst:
        inst.run("conf", "-e", "mynetworks=10.0.0.0/8, [2001:db8::]/32")
        inst.start()
        for r, code, msg in rcpt_replies(inst, BATTERY):
            assert code == 454 and msg.startswith("4.7.1 <") and msg.endswith(">: Relay access denied"), (r, code, msg)
        # Our own domains, in any case, with a trailing dot or as our
        # address literal, are still ours.
        ok = rcpt_replies(inst, ["<alice@EXAMPLE.TEST.>", "<Alice@mail.example.test>", "<alice@[127.0.0.1]>",
                                 "<bob%example.test@example.test>", "<postmaster>"])
        assert [c for _, c, _ in ok] == [250] * 5, ok
        log = inst.maillog()
        assert ("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 454 4.7.1 <user@elsewhere.example>: Relay access "
                "denied; from=<sender@example.org> to=<user@elsewhere.example> proto=ESMTP helo=<client.example.org>") in log, log
        # swaks, a second client, sees the same.
        p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.smtp_port, "--quit-after", "RCPT",
                            "--from", "a@example.org", "--to", "user%elsewhere.example@example.test"],
                           capture_output=True, text=True, timeout=30)
        assert "454 4.7.1 <user%elsewhere.example@example.test>: Relay access denied" in p.stdout, p.stdout


def test_battery_accepted_inside_mynetworks():
    with Instance() as inst:
        inst.run("conf", "-e", "mynetworks=127.0.0.0/8")
        inst.start()
        replies = rcpt_replies(inst, BATTERY, data=True)
        for r, code, msg in replies[:-1]:
            assert code == 250, (r, code, msg)
        assert replies[-1][1] == 250 and "queued as" in replies[-1][2], replies[-1]
        # The routed addresses are queued for where they resolve to; qmgr
        # keeps them (no outbound transport yet) rather than delivering
        # them to a local user.
        log = wait_for("queue manager", lambda: "to=<user@elsewhere.example>" in inst.maillog() and inst.maillog())
        assert "status=sent" not in log, log


def test_default_mynetworks_trusts_this_host():
    # mynetworks_style = host (Postfix 3): the local machine may relay.
    with Instance() as inst:
        inst.start()
        replies = rcpt_replies(inst, ["<user@elsewhere.example>"])
        assert replies[0][1] == 250, replies
        p = inst.run("conf", "mynetworks")
        assert "127.0.0.1/32" in p.stdout, p.stdout


if __name__ == "__main__":
    main([test_battery_refused_outside_mynetworks, test_battery_accepted_inside_mynetworks,
          test_default_mynetworks_trusts_this_host])
