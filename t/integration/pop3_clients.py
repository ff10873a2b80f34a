#!/usr/bin/env python3
"""pop3d with unmodified clients over mbox and Maildir: Python poplib in
plaintext (from the local host), with stls() and with POP3_SSL (port 995),
curl pop3:// and pop3s://, openssl s_client -starttls pop3. Mail arrives
through smtpd and local, as for a real user."""
import os
import poplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for  # noqa: E402
from pop3_common import FORMATS, make_instance, tls_context, deliver, password  # noqa: E402


def poplib_session(fmt):
    with make_instance(fmt) as inst:
        deliver(inst, "alice", "first", "line one\r\n.leading dot\r\nlast\r\n")
        deliver(inst, "alice", "second", "body two\r\n")

        # Plaintext from 127.0.0.1 (Dovecot counts the local host as secure).
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        assert p.getwelcome() == b"+OK Buzon ready.", p.getwelcome()
        capa = p.capa()
        for c in ("TOP", "UIDL", "USER", "STLS", "RESP-CODES", "PIPELINING", "SASL"):
            assert c in capa, (c, capa)
        p.user("alice")
        p.pass_(password("alice"))
        count, size = p.stat()
        assert count == 2, (count, size)
        _, listing, _ = p.list()
        sizes = [int(x.split()[1]) for x in listing]
        assert sum(sizes) == size
        _, uidls, _ = p.uidl()
        uids = [x.split()[1] for x in uidls]
        assert len(set(uids)) == 2
        # Two deliveries in one second may sort either way in a Maildir.
        first = 1 if b"Subject: first" in b"\r\n".join(p.top(1, 0)[1]) else 2
        other = 3 - first
        _, lines, octets = p.retr(first)
        text = b"\r\n".join(lines)
        assert b"Subject: first" in text and b".leading dot" in text, text  # byte-stuffing undone by poplib
        # RFC 1939: the octet count of +OK is the message as sent, CRLF included, unstuffed.
        assert sizes[first - 1] == sum(len(l) + 2 for l in lines), (sizes, lines)
        _, top, _ = p.top(other, 0)
        assert b"Subject: second" in b"\r\n".join(top) and b"body two" not in b"\r\n".join(top), top
        p.quit()

        # STLS, then delete the first message.
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.stls(context=tls_context(inst))
        assert "STLS" not in p.capa()  # RFC 2595: not offered again
        p.user("alice")
        p.pass_(password("alice"))
        _, uidls2, _ = p.uidl()
        assert [x.split()[1] for x in uidls2] == uids  # stable across sessions
        p.dele(first)
        p.quit()

        # Implicit TLS on the pop3s port.
        p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=tls_context(inst), timeout=20)
        p.user("alice")
        p.pass_(password("alice"))
        count, _ = p.stat()
        assert count == 1
        _, uidls3, _ = p.uidl()
        assert [x.split()[1] for x in uidls3] == [uids[other - 1]]
        p.quit()

        if fmt == "maildir":
            cur = os.listdir(inst.path("home", "alice", "Maildir", "cur"))
            # RETR of "first" marked it seen at QUIT; it is gone now. "second" only had TOP.
            assert not any(n.endswith(":2,S") for n in cur), cur
        # pop3d logs a session's end after its last reply.
        log = inst.wait_log("login: user=<alice>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, TLS",
                            "reason=Logged out, top=2/", "retr=1/", "del=1/2")
        assert "pop3d[" in log or "/pop3d" in log, log[-2000:]


def test_poplib_mbox():
    poplib_session("mbox")


def test_poplib_maildir():
    poplib_session("maildir")


def curl(*args):
    return subprocess.run(["curl", "-s", "-S", "--max-time", "20", *args], capture_output=True, timeout=60)


def curl_and_openssl(fmt):
    with make_instance(fmt) as inst:
        deliver(inst, "bob", "for curl", "curl body\r\n")
        creds = "bob:" + password("bob")
        r = curl("pop3://%s@127.0.0.1:%d/" % (creds, inst.pop3_port))
        assert r.returncode == 0, r
        assert r.stdout.strip().startswith(b"1 "), r.stdout
        r = curl("-k", "--ssl-reqd", "pop3://%s@127.0.0.1:%d/1" % (creds, inst.pop3_port))  # STLS
        assert r.returncode == 0 and b"curl body" in r.stdout, r
        r = curl("-k", "pop3s://%s@127.0.0.1:%d/1" % (creds, inst.pop3s_port))
        assert r.returncode == 0 and b"Subject: for curl" in r.stdout, r
        r = curl("-k", "pop3s://bob:wrong@127.0.0.1:%d/" % inst.pop3s_port)
        assert r.returncode != 0, r

        # openssl s_client -starttls pop3: a hand-typed session over STLS.
        script = "USER bob\r\nPASS %s\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n" % password("bob")
        o = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-connect", "127.0.0.1:%d" % inst.pop3_port,
                            "-quiet", "-CAfile", inst.path("tls", "cert.pem")],
                           input=script.encode(), capture_output=True, timeout=30)
        out = o.stdout.decode(errors="replace")
        assert "+OK Logged in." in out and "+OK 1 " in out and "+OK Logging out." in out, (out, o.stderr)
        wait_for("TLS login in the log", lambda: inst.maillog().count("login: user=<bob>") >= 4)
        tls_logins = [l for l in inst.maillog().splitlines() if "login: user=<bob>" in l and l.endswith(", TLS")]
        assert len(tls_logins) >= 3, inst.maillog()[-3000:]


def test_curl_openssl_mbox():
    curl_and_openssl("mbox")


def test_curl_openssl_maildir():
    curl_and_openssl("maildir")


if __name__ == "__main__":
    main([test_poplib_mbox, test_poplib_maildir, test_curl_openssl_mbox, test_curl_openssl_maildir])
