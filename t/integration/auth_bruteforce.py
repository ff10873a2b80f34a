#!/usr/bin/env python3
"""A brute-force run against SMTP AUTH, as issue 5 checks it: a few hundred
wrong passwords from one IP address over implicit TLS (port 465), in new
connections as an attacker makes them. authd's ban engages exactly at
auth_ban_threshold, is logged once, refuses even the right password while
it lasts, and ends after auth_ban_time. The times are made small by the
parameters (auth_failure_delay = 0 here: the delay itself is checked in
tls_auth.py), so the run takes seconds."""
import base64
import os
import re
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

THRESHOLD = 50
WRONG = 300
PER_CONNECTION = 5  # below smtpd_soft_error_limit: no error sleep in the way
BAN_TIME = 20  # longer than the run of guesses below, even on a loaded machine


def plain(user, password):
    return "PLAIN " + base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def test_brute_force_is_banned_then_released():
    inst = Instance()
    inst.run("conf", "-e", "auth_ban_threshold=%d" % THRESHOLD, "auth_ban_window=10m",
             "auth_ban_time=%ds" % BAN_TIME, "auth_failure_delay=0")
    with inst:
        inst.start()
        port = inst.port_base + 465
        wait_for("smtps listener", lambda: not port_free(port))
        ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))

        def session(passwords):
            codes = []
            with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20) as s:
                s.ehlo("attacker.example")
                for user, pw in passwords:
                    codes.append(s.docmd("AUTH", plain(user, pw))[0])
                    if codes[-1] == 235:
                        break
            return codes

        def guesses(n, start):
            # Known and unknown users alike: both count, neither is told apart.
            return [("alice" if i % 2 else "root%d" % i, "guess-%d" % i) for i in range(start, start + n)]

        # One short of the threshold: still free to log in.
        sent = 0
        while sent < THRESHOLD - 1:
            n = min(PER_CONNECTION, THRESHOLD - 1 - sent)
            assert session(guesses(n, sent)) == [535] * n
            sent += n
        assert session([("alice", "secret-alice")]) == [235]
        assert "banned after" not in inst.maillog()
        # The threshold-th failure starts the ban; the rest of the run and
        # the right password are refused with the same 535.
        assert session(guesses(1, sent)) == [535]
        sent += 1
        banned_at = time.monotonic()
        wait_for("ban warning", lambda: "127.0.0.1: banned after too many authentication failures" in inst.maillog())
        assert session([("alice", "secret-alice")]) == [535]
        while sent < WRONG:
            n = min(PER_CONNECTION, WRONG - sent)
            assert session(guesses(n, sent)) == [535] * n
            sent += n
        within_ban = time.monotonic() - banned_at < BAN_TIME
        # Ended by auth_ban_time, not by the attempts during the ban.
        wait_for("ban to end", lambda: session([("alice", "secret-alice")]) == [235], timeout=BAN_TIME + 15,
                 interval=0.5)
        assert time.monotonic() - banned_at >= BAN_TIME - 0.5

        log = inst.maillog()
        # One ban, unless the machine was so slow that it expired during the
        # run and the guesses started another.
        bans = log.count("banned after too many authentication failures")
        assert bans == 1 or (bans > 1 and not within_ban), bans
        failed = [l for l in log.splitlines() if "status=failed" in l and "service=smtp" in l]
        refused = [l for l in failed if "reason=client address is banned" in l]
        # Every attempt is logged: THRESHOLD guesses before the ban, the rest
        # (and the right password during the ban) refused as banned.
        assert len(failed) - len(refused) == THRESHOLD * bans, (len(failed), len(refused))
        assert len(refused) >= WRONG - THRESHOLD * bans + 1, len(refused)
        ban_line = [i for i, l in enumerate(log.splitlines()) if "banned after" in l][0]
        before = [l for l in log.splitlines()[:ban_line] if "status=failed" in l]
        assert len(before) == THRESHOLD and not any("client address is banned" in l for l in before)
        # smtpd told every client the same thing.
        assert len(re.findall(r"authentication failed", log)) >= WRONG


if __name__ == "__main__":
    main([test_brute_force_is_banned_then_released])
