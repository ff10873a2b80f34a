#!/usr/bin/env python3
"""smtpd_client_auth_rate_limit and smtpd_client_new_tls_session_rate_limit,
counted by anvil, with Postfix's replies and warnings:

  AUTH over the limit            450 4.7.1, the session goes on
  STARTTLS when the client's new TLS sessions are over the limit
                                 454 4.7.0, the session goes on in plaintext
  a new (not resumed) handshake that takes the client over the limit
                                 421 4.7.0 right after it, the session ends
  a wrapper-mode (port 465) connection over the limit
                                 closed before any handshake, without a word

With limit 2, the 3rd new TLS session is counted after its handshake and
gets the 421; from then on the rate anvil reports (3) is over the limit
before any handshake, so the 4th STARTTLS gets the 454 and the 4th smtps
connection no handshake at all. Resumed sessions are not counted.

127.0.0.1 is limited (smtpd_client_event_limit_exceptions is emptied but for
127.0.0.2); the same tests from 127.0.0.2 show an exempt client."""
import base64
import os
import re
import smtplib
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

EXEMPT = "127.0.0.2"
TLS_421 = re.compile(rb"421 4\.7\.0 \S+ Error: too many new TLS sessions from unknown\[127\.0\.0\.1\]")


def make_instance(*settings):
    inst = Instance()
    inst.run("conf", "-e", "smtpd_client_event_limit_exceptions=" + EXEMPT, *settings)
    inst.start()
    wait_for("smtps listener", lambda: not port_free(inst.port_base + 465))
    return inst


def tls_context(inst):
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    ctx.check_hostname = False
    return ctx


def service(inst, port):
    return "127.0.0.1:%d" % port


def plain(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


class Raw:
    """A line-level SMTP client whose TLS handshake the test controls."""

    def __init__(self, port, source=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def line(self):
        """One reply line, or b"" at EOF."""
        while b"\r\n" not in self.buf:
            try:
                data = self.sock.recv(4096)
            except (ConnectionResetError, ssl.SSLError):
                data = b""
            if not data:
                return b""
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """The last line of a (multi-line) reply."""
        while True:
            line = self.line()
            if len(line) < 4 or line[3:4] != b"-":
                return line

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def tls(self, ctx, session=None):
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost", session=session)
        return self.sock

    def close(self):
        self.sock.close()


def starttls(inst, ctx, source=None, session=None):
    """EHLO, STARTTLS: the reply to STARTTLS, and the connection."""
    c = Raw(inst.smtp_port, source)
    assert c.reply().startswith(b"220 "), "no greeting"
    assert c.cmd("EHLO client.example").startswith(b"250 ")
    r = c.cmd("STARTTLS")
    if r.startswith(b"220 "):
        c.tls(ctx, session)
    return r, c


def test_auth_rate():
    with make_instance("smtpd_client_auth_rate_limit=2", "auth_failure_delay=0s") as inst:
        port = inst.port_base + 465
        ctx = tls_context(inst)
        with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10) as s:
            s.ehlo("client.example")
            # Every AUTH counts, a syntax error too (Postfix's rule).
            assert s.docmd("AUTH")[0] == 501
        with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10) as s:
            s.ehlo("client.example")
            assert s.docmd("AUTH PLAIN", plain("alice", "secret-alice"))[0] == 235
        with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10) as s:
            s.ehlo("client.example")
            code, msg = s.docmd("AUTH PLAIN", plain("alice", "secret-alice"))
            assert (code, msg) == (450, b"4.7.1 Error: too many AUTH commands from 127.0.0.1"), (code, msg)
            assert s.noop()[0] == 250  # the session goes on
        assert ("warning: AUTH command rate limit exceeded: 3 from unknown[127.0.0.1] for service %s"
                % service(inst, port)) in inst.maillog(), inst.maillog()
        # An exempt client is not counted.
        for _ in range(3):
            with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10, source_address=(EXEMPT, 0)) as s:
                s.ehlo("client.example")
                assert s.docmd("AUTH PLAIN", plain("alice", "secret-alice"))[0] == 235
        assert "from unknown[127.0.0.2] for service" not in inst.maillog()


def test_new_tls_session_rate():
    with make_instance("smtpd_client_new_tls_session_rate_limit=2") as inst:
        ctx = tls_context(inst)
        svc = service(inst, inst.smtp_port)
        # Two new sessions: within the limit.
        session = None
        for _ in range(2):
            r, c = starttls(inst, ctx)
            assert r.startswith(b"220 "), r
            assert c.cmd("EHLO client.example").startswith(b"250 ")
            assert c.cmd("NOOP").startswith(b"250 ")  # the TLS 1.3 ticket has arrived
            session = c.sock.session
            assert c.cmd("QUIT").startswith(b"221 ")
            c.close()
        # A resumed session is not a new one: not counted, not refused.
        r, c = starttls(inst, ctx, session=session)
        assert r.startswith(b"220 "), r
        assert c.sock.session_reused
        assert c.cmd("EHLO client.example").startswith(b"250 ")
        c.cmd("QUIT")
        c.close()
        # The 3rd new session: counted after its handshake, over the limit,
        # the server says 421 unasked and closes.
        r, c = starttls(inst, ctx)
        assert r.startswith(b"220 "), r
        bye = c.line()
        assert TLS_421.fullmatch(bye), bye
        assert c.line() == b""
        c.close()
        # The 4th: refused before the handshake; plaintext goes on.
        r, c = starttls(inst, ctx)
        assert r == b"454 4.7.0 Error: too many new TLS sessions from unknown[127.0.0.1]", r
        assert c.cmd("MAIL FROM:<x@example.org>").startswith(b"250 ")
        assert c.cmd("RCPT TO:<alice@example.test>").startswith(b"250 ")
        c.cmd("QUIT")
        c.close()
        log = inst.maillog()
        assert "warning: New TLS session rate limit exceeded: 3 from unknown[127.0.0.1] for service %s" % svc in log, log
        assert "warning: Refusing STARTTLS request from unknown[127.0.0.1] for service %s" % svc in log, log
        assert "(session resumed)" in log, log

        # Wrapper mode (port 465) is a service of its own for anvil.
        port = inst.port_base + 465
        smtps = service(inst, port)
        for _ in range(2):
            with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10) as s:
                assert s.noop()[0] == 250
        c = Raw(port)
        c.tls(ctx)
        bye = c.line()
        assert TLS_421.fullmatch(bye), bye
        c.close()
        # Over the limit before the handshake: the connection is closed
        # without one (and so without a word).
        c = Raw(port)
        try:
            c.tls(ctx)
            refused = c.line() == b""
        except (ssl.SSLError, ConnectionResetError, OSError):
            refused = True
        assert refused
        c.close()
        wait_for("refusal logged", lambda: "warning: Refusing TLS service request from unknown[127.0.0.1] "
                 "for service %s" % smtps in inst.maillog())
        assert ("warning: New TLS session rate limit exceeded: 3 from unknown[127.0.0.1] for service %s"
                % smtps) in inst.maillog()

        # An exempt client negotiates as many as it likes, both ways.
        for _ in range(4):
            r, c = starttls(inst, ctx, source=EXEMPT)
            assert r.startswith(b"220 "), r
            assert c.cmd("EHLO client.example").startswith(b"250 ")
            c.cmd("QUIT")
            c.close()
            with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10, source_address=(EXEMPT, 0)) as s:
                assert s.noop()[0] == 250
        assert "from unknown[127.0.0.2] for service" not in inst.maillog()


if __name__ == "__main__":
    main([test_auth_rate, test_new_tls_session_rate])
