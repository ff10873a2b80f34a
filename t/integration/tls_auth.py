#!/usr/bin/env python3
"""STARTTLS (RFC 3207), implicit TLS on 465 (RFC 8314) and SMTP AUTH
(RFC 4954) through authd, with unmodified clients: Python smtplib, swaks,
curl and openssl s_client. Includes the STARTTLS injection test
(CVE-2011-0411) and the ban after repeated failures."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

CARGS = dict(timeout=20)


def tls_context(inst):
    """Trusts exactly the instance's self-signed certificate."""
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    ctx.check_hostname = True
    return ctx


def make_instance(extra=()):
    inst = Instance()
    # A user with a clear-text-equivalent password, for CRAM-MD5 and SCRAM.
    with open(inst.path("passwd"), "a") as f:
        f.write("carol:{PLAIN}secret-carol:%d:%d::%s::\n" % (os.getuid(), os.getgid(), inst.path("home", "carol")))
    os.makedirs(inst.path("home", "carol"), exist_ok=True)
    inst.run("conf", "-e", "auth_mechanisms=plain login cram-md5 scram-sha-1 scram-sha-256",
             "auth_allow_weak_schemes=yes", "auth_failure_delay=1s",
             # The tests are the outside world: 127.0.0.1 must not be a
             # trusted network, or relaying would not need AUTH.
             "mynetworks=192.0.2.0/24", *extra)
    inst.start()
    for port in (inst.port_base + 587, inst.port_base + 465):
        wait_for("listener %d" % port, lambda: not port_free(port))
    return inst


def swaks(*args):
    return subprocess.run(["swaks", "--timeout", "20", *args], capture_output=True, text=True, timeout=60)


def test_starttls_smtplib_and_received():
    with make_instance(["smtpd_tls_received_header=yes"]) as inst:
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, **CARGS) as s:
            s.ehlo("client.example")
            assert s.has_extn("starttls")
            assert not s.has_extn("auth")  # port 25: AUTH not enabled
            code, _ = s.starttls(context=tls_context(inst))
            assert code == 220
            s.ehlo("client.example")
            assert not s.has_extn("starttls")  # RFC 3207 4.2: not again
            s.sendmail("x@example.org", ["alice@example.test"], b"Subject: tls\r\n\r\nover TLS\r\n")
        wait_for("delivery", lambda: os.path.exists(inst.mbox("alice")) and b"over TLS" in inst.read_mbox("alice"))
        data = inst.read_mbox("alice")
        assert b"with ESMTPS id" in data, data
        assert b"(using TLSv1.3 with cipher" in data, data
        log = inst.maillog()
        assert "TLS connection established from unknown[127.0.0.1]: TLSv1.3 with cipher" in log, log
        # Relaying stays refused without AUTH, TLS or not.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, **CARGS) as s:
            s.starttls(context=tls_context(inst))
            s.ehlo("client.example")
            s.mail("x@example.org")
            code, msg = s.rcpt("someone@elsewhere.example")
            assert code == 454 and b"Relay access denied" in msg, (code, msg)


def test_starttls_injection():
    """STARTTLS\\r\\nRSET\\r\\n in one packet: only the STARTTLS reply comes
    back, and RSET is not executed after the handshake either."""
    with make_instance() as inst:
        raw = socket.create_connection(("127.0.0.1", inst.smtp_port), timeout=20)
        f = raw.makefile("rb")
        assert f.readline().startswith(b"220 ")
        raw.sendall(b"EHLO attacker.example\r\n")
        while True:
            line = f.readline()
            if line[3:4] == b" ":
                break
        raw.sendall(b"STARTTLS\r\nRSET\r\n")
        assert f.readline() == b"220 2.0.0 Ready to start TLS\r\n"
        # Nothing else may be waiting in plaintext.
        raw.settimeout(0.5)
        try:
            extra = raw.recv(100)
        except socket.timeout:
            extra = b""
        assert extra == b"", extra
        raw.settimeout(20)
        tls = tls_context(inst).wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"NOOP\r\n")
        tf = tls.makefile("rb")
        first = tf.readline()
        # The first reply after the handshake answers NOOP, not the injected RSET
        # (both would be 250 2.0.0 Ok: count them instead).
        assert first == b"250 2.0.0 Ok\r\n", first
        tls.sendall(b"QUIT\r\n")
        assert tf.readline().startswith(b"221 ")
        tls.close()
        wait_for("disconnect line", lambda: "starttls=1" in inst.maillog())
        line = [l for l in inst.maillog().splitlines() if "disconnect from" in l and "starttls=1" in l][-1]
        assert "rset" not in line, line  # the RSET was never executed
        assert "noop=1" in line, line


def test_submission_auth_smtplib():
    with make_instance(["smtpd_sasl_authenticated_header=yes"]) as inst:
        port = inst.port_base + 587
        with smtplib.SMTP("127.0.0.1", port, **CARGS) as s:
            s.ehlo("client.example")
            assert not s.has_extn("auth")  # smtpd_tls_auth_only: not before TLS
            code, msg = s.mail("alice@example.test")
            assert code == 530, (code, msg)  # smtpd_tls_security_level = encrypt
            code, msg = s.docmd("AUTH", "PLAIN AGFsaWNlAHNlY3JldC1hbGljZQ==")
            assert code == 530, (code, msg)
            s.starttls(context=tls_context(inst))
            s.ehlo("client.example")
            assert "PLAIN" in s.esmtp_features["auth"].upper()
            try:
                s.login("alice", "wrong")
                raise AssertionError("wrong password accepted")
            except smtplib.SMTPAuthenticationError as e:
                assert e.smtp_code == 535, e
            s.login("alice", "secret-alice")
            # Authenticated: relaying allowed (queued for a later outbound client).
            refused = s.sendmail("alice@example.test", ["someone@elsewhere.example", "bob@example.test"],
                                 b"Subject: sub\r\n\r\nsubmitted\r\n")
            assert refused == {}, refused
        wait_for("delivery", lambda: os.path.exists(inst.mbox("bob")) and b"submitted" in inst.read_mbox("bob"))
        data = inst.read_mbox("bob")
        assert b"with ESMTPSA id" in data, data
        assert b"(Authenticated sender: alice)" in data, data
        assert "sasl_method=PLAIN, sasl_username=alice" in inst.maillog()


def test_smtps_and_mechanisms_swaks():
    with make_instance() as inst:
        for port, tls in ((inst.port_base + 465, "--tlsc"), (inst.port_base + 587, "--tls")):
            for mech, user in (("PLAIN", "alice"), ("LOGIN", "bob"), ("CRAM-MD5", "carol")):
                p = swaks("--server", "127.0.0.1:%d" % port, tls, "--tls-verify", "--tls-ca-path",
                          inst.path("tls", "cert.pem"), "--auth", mech, "--auth-user", user,
                          "--auth-password", "secret-" + user, "--from", user + "@example.test",
                          "--to", "alice@example.test", "--body", "via %s %s" % (tls, mech))
                assert p.returncode == 0, (port, mech, p.stdout[-3000:], p.stderr)
                assert "235 2.7.0 Authentication successful" in p.stdout, p.stdout
        # A wrong CRAM-MD5 answer fails like any other.
        p = swaks("--server", "127.0.0.1:%d" % (inst.port_base + 465), "--tlsc", "--auth", "CRAM-MD5",
                  "--auth-user", "carol", "--auth-password", "nope", "--to", "alice@example.test")
        assert p.returncode != 0 and "535 5.7.8" in p.stdout, p.stdout


def test_curl_submission():
    """curl --ssl-reqd: STARTTLS required, then AUTH. bob's password is a
    hash, so the mechanism is named: curl would otherwise pick CRAM-MD5,
    which only works for users with a clear-text secret (carol)."""
    with make_instance() as inst:
        if shutil.which("curl"):
            p = subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", inst.path("tls", "cert.pem"),
                                "smtp://localhost:%d" % (inst.port_base + 587), "--user", "bob:secret-bob",
                                "--login-options", "AUTH=PLAIN",
                                "--mail-from", "bob@example.test", "--mail-rcpt", "alice@example.test",
                                "--upload-file", "-"], input=b"Subject: curl\r\n\r\nby curl\r\n",
                               capture_output=True, timeout=60)
            assert p.returncode == 0, p.stderr
            wait_for("curl delivery", lambda: os.path.exists(inst.mbox("alice")) and b"by curl" in inst.read_mbox("alice"))


def test_openssl_s_client_protocols():
    with make_instance() as inst:
        def s_client(*args):
            return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % inst.smtp_port,
                                   "-starttls", "smtp", "-CAfile", inst.path("tls", "cert.pem"), *args],
                                  input=b"QUIT\r\n", capture_output=True, timeout=30)
        p = s_client("-verify_return_error", "-verify_hostname", "mail.example.test")
        out = p.stdout.decode(errors="replace")
        assert p.returncode == 0, out + p.stderr.decode(errors="replace")
        assert "Protocol version: TLSv1.3" in out or "New, TLSv1.3" in out, out
        assert "Verify return code: 0 (ok)" in out, out
        # TLS 1.1 and older are refused by default (smtpd_tls_protocols = >=TLSv1.2).
        old = s_client("-tls1_1")
        assert old.returncode != 0 or "Cipher is (NONE)" in old.stdout.decode(errors="replace")
        ok12 = s_client("-tls1_2")
        out12 = ok12.stdout.decode(errors="replace")
        assert ok12.returncode == 0 and "TLSv1.2" in out12, out12


def test_ban_after_failures():
    with make_instance(["auth_ban_threshold=3", "auth_ban_window=10m", "auth_ban_time=1h",
                        "auth_failure_delay=1s"]) as inst:
        port = inst.port_base + 465
        ctx = tls_context(inst)

        def attempt(password):
            with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, **CARGS) as s:
                s.ehlo("client.example")
                start = time.monotonic()
                try:
                    s.login("alice", password)
                    return 235, time.monotonic() - start
                except smtplib.SMTPAuthenticationError as e:
                    return e.smtp_code, time.monotonic() - start

        code, took = attempt("secret-alice")
        assert code == 235
        for i in range(3):
            code, took = attempt("guess%d" % i)
            assert code == 535, code
            assert took >= 0.9, took  # auth_failure_delay
        # Banned: the right password fails now, with the same answer.
        code, _ = attempt("secret-alice")
        assert code == 535, code
        # An unknown user gets the same answer as a known one.
        code, _ = attempt("x")
        assert code == 535
        log = inst.maillog()
        assert "127.0.0.1: banned after too many authentication failures" in log, log
        assert "reason=client address is banned" in log, log


def test_buzon_user():
    """buzon user add/passwd/del/list: authd sees each change at once."""
    with make_instance(["default_pass_scheme=ARGON2ID"]) as inst:
        ctx = tls_context(inst)

        def login(user, password):
            with smtplib.SMTP_SSL("127.0.0.1", inst.port_base + 465, context=ctx, **CARGS) as s:
                try:
                    s.login(user, password)
                    return True
                except smtplib.SMTPAuthenticationError:
                    return False

        inst.run("user", "add", "dave", "--stdin", input="dave-pw-1\n")
        listing = inst.run("user", "list").stdout
        assert "dave\tARGON2ID\t" + inst.path("home", "dave") in listing, listing
        assert os.path.isdir(inst.path("home", "dave"))
        assert login("dave", "dave-pw-1")
        # Dave gets mail like the others.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, **CARGS) as s:
            s.sendmail("x@example.org", ["dave@example.test"], b"Subject: hi\r\n\r\nfor dave\r\n")
        wait_for("delivery", lambda: os.path.exists(inst.mbox("dave")))
        inst.run("user", "passwd", "dave", "--stdin", "--scheme", "SHA256-CRYPT", input="dave-pw-2\n")
        assert "dave\tSHA256-CRYPT" in inst.run("user", "list").stdout
        assert not login("dave", "dave-pw-1")
        assert login("dave", "dave-pw-2")
        p = inst.run("user", "add", "dave", "--stdin", input="x\n", check=False)
        assert p.returncode == 1 and "exists" in p.stderr, p.stderr
        inst.run("user", "del", "dave")
        assert not login("dave", "dave-pw-2")
        assert "dave" not in inst.run("user", "list").stdout
        with open(inst.path("passwd")) as f:
            assert "alice:{SHA512-CRYPT}" in f.read()  # the others are untouched


if __name__ == "__main__":
    main([test_starttls_smtplib_and_received, test_starttls_injection, test_submission_auth_smtplib,
          test_smtps_and_mechanisms_swaks, test_curl_submission, test_openssl_s_client_protocols,
          test_buzon_user, test_ban_after_failures])
