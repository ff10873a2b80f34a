#!/usr/bin/env python3
"""The TLS configuration as a scanner sees it, compared with Postfix 3.7's
defaults (postconf -d: smtpd_tls_protocols = >=TLSv1, smtpd_tls_ciphers =
medium, tls_medium_cipherlist = aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH).

Buzón's protocols are deliberately stricter than Postfix 3.7 (>=TLSv1.2,
as the issue asks), and its ciphers are Postfix's medium grade: every
cipher the server accepts must be in OpenSSL's expansion of Postfix's
list. Checked with openssl s_client on each port (STARTTLS on 25 and 587,
implicit TLS on 465) and with sslscan (Debian package, in scripts/deps):
no SSLv2/SSLv3/TLS 1.0/TLS 1.1, no NULL, EXPORT, RC4, DES or anonymous
cipher. The old protocols are asked for with a client that allows them
(@SECLEVEL=0), so a refusal is the server's; a control instance that
allows TLS 1.0 shows the method sees it when it is there."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

POSTFIX_37_MEDIUM = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH"
WEAK = re.compile(r"NULL|EXP|RC4|DES-CBC-|IDEA|SEED|MD5|ADH|AECDH|anon", re.I)


def started(extra=()):
    inst = Instance()
    if extra:
        inst.run("conf", "-e", *extra)
    inst.start()
    for port in (inst.port_base + 587, inst.port_base + 465):
        wait_for("listener %d" % port, lambda: not port_free(port))
    return inst


def services(inst):
    """(name, port, s_client arguments, sslscan arguments) of each TLS port."""
    return [("smtp", inst.smtp_port, ["-starttls", "smtp"], ["--starttls-smtp"]),
            ("submission", inst.port_base + 587, ["-starttls", "smtp"], ["--starttls-smtp"]),
            ("smtps", inst.port_base + 465, [], [])]


def handshake(port, mode, proto):
    """Negotiated protocol, or None when the handshake failed."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, *mode, "-" + proto]
    if proto in ("tls1", "tls1_1"):
        # OpenSSL 3 clients refuse these below security level 0 by themselves.
        args += ["-cipher", "DEFAULT:@SECLEVEL=0"]
    p = subprocess.run(args, input=b"QUIT\r\n", capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    m = re.search(r"^\s*Protocol\s*:\s*(\S+)", out, re.M) or re.search(r"New, (TLSv[\d.]+), Cipher is (?!\(NONE\))", out)
    if p.returncode != 0 or "Cipher is (NONE)" in out or not m:
        return None
    return m.group(1)


def postfix_medium_ciphers():
    p = subprocess.run(["openssl", "ciphers", "-s", "-tls1_2", POSTFIX_37_MEDIUM], capture_output=True, text=True,
                       check=True)
    return set(p.stdout.strip().split(":"))


def test_protocols_with_s_client():
    with started() as inst:
        for name, port, mode, _ in services(inst):
            assert handshake(port, mode, "tls1") is None, name
            assert handshake(port, mode, "tls1_1") is None, name
            assert handshake(port, mode, "tls1_2") == "TLSv1.2", name
            assert handshake(port, mode, "tls1_3") == "TLSv1.3", name
        # The refusals were the server's: it logged them.
        wait_for("handshake failures in the log", lambda: inst.maillog().count("SSL_accept error from") >= 6,
                 timeout=10)


def test_control_instance_with_tls1_is_seen():
    """The method can fail: a server that allows TLS 1.0 is caught."""
    with started(["smtpd_tls_protocols=>=TLSv1", "tls_medium_cipherlist=DEFAULT:@SECLEVEL=0"]) as inst:
        assert handshake(inst.smtp_port, ["-starttls", "smtp"], "tls1") == "TLSv1", inst.maillog()[-2000:]


def sslscan(port, mode):
    p = subprocess.run(["sslscan", "--no-colour", "--no-heartbleed", "--no-groups", *mode, "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_sslscan_protocols_and_ciphers():
    assert shutil.which("sslscan"), "sslscan is missing: scripts/deps installs it"
    allowed = postfix_medium_ciphers()
    with started() as inst:
        for name, port, _, mode in services(inst):
            out = sslscan(port, mode)
            for proto in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"):
                m = re.search(r"^%s\s+(\w+)" % re.escape(proto), out, re.M)
                assert m and m.group(1) in ("disabled", "not"), (name, proto, out)
            assert re.search(r"^TLSv1\.2\s+enabled", out, re.M), (name, out)
            assert re.search(r"^TLSv1\.3\s+enabled", out, re.M), (name, out)
            accepted = re.findall(r"^(?:Preferred|Accepted)\s+(\S+)\s+\d+ bits\s+(\S+)", out, re.M)
            assert accepted, out
            for proto, cipher in accepted:
                assert proto in ("TLSv1.2", "TLSv1.3"), (name, proto, cipher)
                assert not WEAK.search(cipher), (name, cipher)
                if proto == "TLSv1.2":
                    # Postfix 3.7's medium grade offers it too.
                    assert cipher in allowed, (name, cipher, sorted(allowed))


if __name__ == "__main__":
    main([test_protocols_with_s_client, test_control_instance_with_tls1_is_seen, test_sslscan_protocols_and_ciphers])
