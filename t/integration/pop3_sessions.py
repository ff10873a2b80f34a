#!/usr/bin/env python3
"""POP3 session rules with real sockets: a dropped connection deletes
nothing (RFC 1939 section 6), a second session gets -ERR [IN-USE], ssl =
required refuses logins before STLS (the disable_plaintext_auth policy,
which the local host is exempt from, tested the way 127.0.0.1 allows),
the autologout timer, the limits on bad commands, failed logins and line
length, and pop3d_login_delay (RFC 2449 LOGIN-DELAY)."""
import os
import poplib
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for  # noqa: E402
from pop3_common import make_instance, tls_context, deliver, password  # noqa: E402


class Raw:
    """A hand-typed POP3 session."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().decode(errors="replace").rstrip("\r\n")

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.line()

    def close(self):
        self.f.close()
        self.s.close()


def login(inst, user="alice"):
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
    p.user(user)
    p.pass_(password(user))
    return p


def dropped_and_in_use(fmt):
    with make_instance(fmt) as inst:
        deliver(inst, "alice", "one")
        deliver(inst, "alice", "two")
        r = Raw(inst.pop3_port)
        assert r.line().startswith("+OK")
        assert r.cmd("USER alice") == "+OK"
        assert r.cmd("PASS " + password("alice")) == "+OK Logged in."
        assert r.cmd("DELE 1") == "+OK Marked to be deleted."
        assert r.cmd("DELE 2") == "+OK Marked to be deleted."

        # While that session holds the maildrop, another one is refused.
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.user("alice")
        try:
            p.pass_(password("alice"))
            raise AssertionError("second session got in")
        except poplib.error_proto as e:
            assert str(e).startswith("b'-ERR [IN-USE]"), e
        p.close()

        r.close()  # dropped without QUIT
        wait_for("disconnect logged", lambda: "reason=Connection closed" in inst.maillog())
        p = login(inst)
        assert p.stat()[0] == 2  # nothing was deleted
        p.quit()
        # pop3d logs a session's end after its last reply (-ERR [IN-USE] too).
        inst.wait_log("reason=Connection closed, top=0/0, retr=0/0, del=0/2", "reason=Mailbox in use")


def test_dropped_and_in_use_mbox():
    dropped_and_in_use("mbox")


def test_dropped_and_in_use_maildir():
    dropped_and_in_use("maildir")


def test_limits():
    with make_instance("maildir") as inst:
        # Bad commands before login.
        r = Raw(inst.pop3_port)
        r.line()
        replies = [r.cmd("BOGUS") for _ in range(10)]
        assert replies[:9] == ["-ERR Unknown command."] * 9, replies
        assert replies[9] == "-ERR Too many invalid commands.", replies
        assert r.line() == ""  # closed
        r.close()

        # A command line over RFC 2449's 255 octets.
        r = Raw(inst.pop3_port)
        r.line()
        assert r.cmd("NOOP " + "x" * 300) == "-ERR Line too long."
        assert r.cmd("NOOP") == "+OK"
        r.close()

        # Failed logins: the third one closes the connection.
        r = Raw(inst.pop3_port)
        r.line()
        for i in range(3):
            assert r.cmd("USER alice") == "+OK"
            assert r.cmd("PASS wrong") == "-ERR [AUTH] Authentication failed."
        assert r.line() == ""
        r.close()
        wait_for("failed logins logged", lambda: "auth_attempts=3" in inst.maillog())

        # AUTH PLAIN with an initial response (RFC 5034) works as well.
        import base64
        r = Raw(inst.pop3_port)
        r.line()
        token = base64.b64encode(b"\0alice\0" + password("alice").encode()).decode()
        assert r.cmd("AUTH PLAIN " + token) == "+OK Logged in."
        assert r.cmd("STAT") == "+OK 0 0"
        assert r.cmd("QUIT") == "+OK Logging out."
        r.close()


def test_ssl_required_and_autologout():
    with make_instance("mbox", ["ssl=required", "pop3d_timeout=2s"]) as inst:
        deliver(inst, "alice", "secret")
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        capa = p.capa()
        assert "STLS" in capa and "USER" not in capa and "SASL" not in capa, capa
        try:
            p.user("alice")
            raise AssertionError("USER accepted before TLS")
        except poplib.error_proto as e:
            assert "[AUTH] Plaintext authentication disallowed" in str(e), e
        p.stls(context=tls_context(inst))
        assert "USER" in p.capa()
        p.user("alice")
        p.pass_(password("alice"))
        assert p.stat()[0] == 1
        # The autologout timer (pop3d_timeout, shortened here): nothing deleted.
        p.dele(1)
        line = p.file.readline()
        assert line == b"-ERR Disconnected for inactivity.\r\n", line
        assert p.file.readline() == b""
        p.close()
        wait_for("inactivity logged", lambda: "reason=Inactivity" in inst.maillog())
        p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=tls_context(inst), timeout=20)
        p.user("alice")
        p.pass_(password("alice"))
        assert p.stat()[0] == 1
        p.quit()


def test_login_delay():
    for fmt in ("maildir", "mbox"):
        with make_instance(fmt, ["pop3d_login_delay=1h"]) as inst:
            deliver(inst, "alice", "poll me")
            p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
            assert p.capa()["LOGIN-DELAY"] == ["3600"], p.capa()
            p.user("alice")
            p.pass_(password("alice"))
            assert p.stat()[0] == 1
            assert p.capa()["LOGIN-DELAY"] == ["3600"]  # TRANSACTION state too
            p.quit()

            # The same user again within the hour: refused after the
            # password, the connection closed, the mailbox untouched.
            r = Raw(inst.pop3_port)
            r.line()
            assert r.cmd("USER alice") == "+OK"
            assert r.cmd("PASS " + password("alice")) == "-ERR [LOGIN-DELAY] Logged in too recently, try again later."
            assert r.line() == ""
            r.close()
            # A wrong password is still [AUTH], not a hint that the user
            # logged in lately.
            r = Raw(inst.pop3_port)
            r.line()
            r.cmd("USER alice")
            assert r.cmd("PASS wrong") == "-ERR [AUTH] Authentication failed."
            r.close()
            # Another user is not delayed by alice.
            p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
            p.user("bob")
            assert p.pass_(password("bob")).startswith(b"+OK Logged in.")
            p.quit()
            wait_for("the delay in the log", lambda: "user=<alice>, rip=127.0.0.1: login within pop3d_login_delay (3600s)" in inst.maillog())

            # Once the delay is over (the stamp moved back two hours) alice
            # logs in again, and the message is still there.
            home = inst.path("home", "alice")
            stamp = os.path.join(home, "Maildir" if fmt == "maildir" else "", "buzon-pop3-login")
            st = os.stat(stamp)
            os.utime(stamp, (st.st_atime - 7200, st.st_mtime - 7200))
            p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
            p.user("alice")
            assert p.pass_(password("alice")).startswith(b"+OK Logged in.")
            assert p.stat()[0] == 1
            p.quit()


if __name__ == "__main__":
    main([test_dropped_and_in_use_mbox, test_dropped_and_in_use_maildir, test_limits,
          test_ssl_required_and_autologout, test_login_delay])
