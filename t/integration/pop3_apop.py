#!/usr/bin/env python3
"""APOP (RFC 1939 section 7) with Python poplib's apop(): offered, with a
timestamp in the greeting, only when authd has APOP in auth_mechanisms and
a password database with clear-text (PLAIN scheme) entries; checked by
authd like any other login; never listed as a SASL mechanism."""
import hashlib
import os
import poplib
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for  # noqa: E402
from pop3_common import make_instance, tls_context, deliver, password  # noqa: E402

TIMESTAMP = re.compile(rb"\+OK .* (<[!-~]+@[!-~]+>)\r?$")


def clear_text_alice(inst):
    """alice's passwd-file entry becomes {PLAIN}; bob keeps his hash."""
    path = inst.path("passwd")
    with open(path) as f:
        lines = f.read().splitlines(True)
    out = []
    for line in lines:
        fields = line.split(":")
        if fields[0] == "alice":
            fields[1] = "{PLAIN}" + password("alice")
        out.append(":".join(fields))
    with open(path, "w") as f:
        f.writelines(out)


def test_apop_with_clear_text_passwords():
    extra = ["auth_allow_weak_schemes=yes", "auth_mechanisms=plain login apop"]
    with make_instance("maildir", extra, setup=clear_text_alice) as inst:
        deliver(inst, "alice", "for apop")
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        first = TIMESTAMP.match(p.getwelcome()).group(1)
        assert p.apop("alice", password("alice")).startswith(b"+OK Logged in."), "apop"
        assert p.stat()[0] == 1
        p.quit()
        # Every greeting has its own timestamp.
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        assert TIMESTAMP.match(p.getwelcome()).group(1) != first
        # APOP is not SASL: CAPA lists only the SASL mechanisms.
        assert "APOP" not in str(p.capa().get("SASL", [])), p.capa()
        try:
            p.apop("alice", "wrong")
            raise AssertionError("a wrong password logged in")
        except poplib.error_proto as e:
            assert str(e).startswith("b'-ERR [AUTH] Authentication failed."), e
        # bob's entry is a hash: no APOP for him, even with his password.
        try:
            p.apop("bob", password("bob"))
            raise AssertionError("APOP with a hashed entry logged in")
        except poplib.error_proto as e:
            assert "Authentication failed" in str(e), e
        p.quit()

        # A digest for another greeting's timestamp (a replay) fails.
        s = socket.create_connection(("127.0.0.1", inst.pop3_port), timeout=20)
        f = s.makefile("rb")
        assert TIMESTAMP.match(f.readline().rstrip(b"\n"))
        digest = hashlib.md5(first + password("alice").encode()).hexdigest()
        s.sendall(b"APOP alice " + digest.encode() + b"\r\n")
        assert f.readline() == b"-ERR [AUTH] Authentication failed.\r\n"
        s.close()

        # Over implicit TLS too.
        p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=tls_context(inst), timeout=20)
        assert p.apop("alice", password("alice")).startswith(b"+OK")
        assert p.stat()[0] == 1
        p.quit()
        wait_for("APOP logins in the log", lambda: inst.maillog().count("login: user=<alice>, method=APOP") >= 2)


def test_no_apop_without_clear_text():
    # apop configured, but every password is hashed (and weak schemes are
    # off): no timestamp, and APOP is refused; USER/PASS works as before.
    with make_instance("mbox", ["auth_mechanisms=plain login apop"]) as inst:
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        assert b"<" not in p.getwelcome(), p.getwelcome()
        try:
            p.apop("alice", password("alice"))
            raise AssertionError("poplib found a timestamp")
        except poplib.error_proto as e:
            assert "APOP not supported" in str(e), e
        try:
            p._shortcmd("APOP alice 0123456789abcdef0123456789abcdef")
            raise AssertionError("APOP accepted")
        except poplib.error_proto as e:
            assert str(e) == "b'-ERR APOP not enabled.'", e
        p.user("alice")
        assert p.pass_(password("alice")).startswith(b"+OK Logged in.")
        p.quit()


if __name__ == "__main__":
    main([test_apop_with_clear_text_passwords, test_no_apop_without_clear_text])
