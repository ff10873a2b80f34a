#!/usr/bin/env python3
"""Submission with a Berkeley DB (hash:) password database in authd and
Postfix's sender login checks: smtpd_sender_login_maps with
reject_sender_login_mismatch (553 5.7.1 ... not owned by user / not logged
in), the AUTH= parameter of MAIL (RFC 4954 section 5) and the login in the
Received: header (smtpd_sasl_authenticated_header)."""
import base64
import os
import smtplib
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

CARGS = dict(timeout=20)


def system_crypt_hash(password):
    """A SHA512-CRYPT hash made by the system's crypt(3) (openssl passwd -6),
    independent of Buzón's own hashing code."""
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True, text=True,
                         check=True).stdout.strip()
    return "{SHA512-CRYPT}" + out


def build_private(inst, path):
    """buzon map, then the table belongs to the instance owner alone (it
    runs authd; the tests may run as root)."""
    inst.run("map", "hash:" + path)
    st = os.stat(inst.path("passwd"))
    for p in (path, path + ".db"):
        os.chown(p, st.st_uid, st.st_gid)
        os.chmod(p, 0o600)


def make_instance():
    inst = Instance()
    passdb = inst.path("passdb")
    with open(passdb, "w") as f:
        f.write("# hash: passdb, built with buzon map\n")
        f.write("erin %s\n" % system_crypt_hash("erin-pw"))
        f.write("frank %s:1000:1000::/home/frank::\n" % system_crypt_hash("frank-pw"))
    build_private(inst, passdb)
    owners = inst.path("sender_owners")
    with open(owners, "w") as f:
        f.write("erin@example.test erin\nshared@example.test erin, frank\n@team.example frank\n")
    inst.run("map", "hash:" + owners)
    inst.run("conf", "-e", "auth_passdb=hash:%s passwd-file:%s" % (passdb, inst.path("passwd")),
             "smtpd_sender_login_maps=hash:" + owners,
             "smtpd_sender_restrictions=reject_sender_login_mismatch",
             "smtpd_sasl_authenticated_header=yes", "auth_failure_delay=1s",
             # The tests are the outside world, not a trusted network.
             "mynetworks=192.0.2.0/24")
    # The submission services take their sender restrictions from
    # $mua_sender_restrictions (empty in an instance): give them the check.
    with open(inst.path("master.cf")) as f:
        master_cf = f.read()
    assert "smtpd_sender_restrictions=$mua_sender_restrictions" in master_cf
    with open(inst.path("master.cf"), "w") as f:
        f.write(master_cf.replace("smtpd_sender_restrictions=$mua_sender_restrictions",
                                  "smtpd_sender_restrictions=reject_sender_login_mismatch"))
    inst.start()
    wait_for("submission listener", lambda: not port_free(inst.port_base + 587))
    return inst


def submission(inst):
    s = smtplib.SMTP("127.0.0.1", inst.port_base + 587, **CARGS)
    s.ehlo("client.example")
    s.starttls(context=ssl.create_default_context(cafile=inst.path("tls", "cert.pem")))
    s.ehlo("client.example")
    return s


def plain(user, password):
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def test_hash_passdb_login_and_sender_ownership():
    with make_instance() as inst:
        with submission(inst) as s:
            code, msg = s.docmd("AUTH", "PLAIN " + plain("erin", "wrong"))
            assert code == 535, (code, msg)
            code, msg = s.docmd("AUTH", "PLAIN " + plain("erin", "erin-pw"))
            assert code == 235, (code, msg)
            # Somebody else's address: refused at RCPT (smtpd_delay_reject).
            code, msg = s.mail("frank@team.example")
            assert code == 250, (code, msg)
            code, msg = s.rcpt("alice@example.test")
            assert (code, msg) == (553, b"5.7.1 <frank@team.example>: Sender address rejected: not owned by user erin"), \
                (code, msg)
            s.rset()
            # An address nobody owns is refused too (not the "known" variant).
            s.mail("nobody@elsewhere.example")
            code, msg = s.rcpt("alice@example.test")
            assert code == 553 and b"not owned by user erin" in msg, (code, msg)
            s.rset()
            # Her own and a shared address pass, with the AUTH= parameter
            # of MAIL (RFC 4954 section 5) as a relaying MTA sends it.
            code, msg = s.mail("erin@example.test", ["AUTH=<erin@example.test>"])
            assert code == 250, (code, msg)
            assert s.rcpt("alice@example.test")[0] == 250
            code, msg = s.data(b"Subject: own\r\n\r\nfrom erin\r\n")
            assert code == 250, (code, msg)
            code, msg = s.mail("shared@example.test", ["AUTH=<>"])
            assert code == 250, (code, msg)
            assert s.rcpt("bob@example.test")[0] == 250
            assert s.data(b"Subject: shared\r\n\r\nshared by erin\r\n")[0] == 250
            # An empty AUTH= is a syntax error (RFC 4954: AUTH=<> or a mailbox).
            code, msg = s.mail("erin@example.test", ["AUTH="])
            assert code == 501, (code, msg)
        # frank comes from the same table, with passwd-file fields after the hash.
        with submission(inst) as s:
            s.login("frank", "frank-pw")
            assert s.sendmail("anyone@team.example", ["alice@example.test"], b"Subject: team\r\n\r\nteam\r\n") == {}
        wait_for("delivery", lambda: b"team" in inst.read_mbox("alice") and b"from erin" in inst.read_mbox("alice"))
        data = inst.read_mbox("alice")
        assert b"(Authenticated sender: erin)" in data, data
        assert b"(Authenticated sender: frank)" in data, data
        wait_for("delivery to bob", lambda: b"shared by erin" in inst.read_mbox("bob"))
        log = inst.maillog()
        assert "sasl_method=PLAIN, sasl_username=erin" in log, log
        assert "553 5.7.1 <frank@team.example>: Sender address rejected: not owned by user erin" in log, log
        # alice (passwd-file, the second passdb) still logs in.
        with submission(inst) as s:
            s.login("alice", "secret-alice")


def test_sender_needs_login_and_rebuilt_passdb():
    with make_instance() as inst:
        # Port 25, not logged in: an address the maps know needs a login;
        # one they do not know is not this restriction's business.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, **CARGS) as s:
            s.ehlo("client.example")
            s.mail("erin@example.test")
            code, msg = s.rcpt("alice@example.test")
            assert (code, msg) == (553, b"5.7.1 <erin@example.test>: Sender address rejected: not logged in"), (code, msg)
            s.rset()
            s.mail("someone@elsewhere.example")
            assert s.rcpt("alice@example.test")[0] == 250
        # A rebuilt hash: passdb is used at once, without a reload.
        passdb = inst.path("passdb")
        with open(passdb, "a") as f:
            f.write("gina %s\n" % system_crypt_hash("gina-pw"))
        build_private(inst, passdb)
        with submission(inst) as s:
            s.login("gina", "gina-pw")


if __name__ == "__main__":
    main([test_hash_passdb_login_and_sender_ownership, test_sender_needs_login_and_rebuilt_passdb])
