#!/usr/bin/env python3
"""authd under its own account (auth_owner), as a system installation runs
it: scripts/system-users makes the accounts, authd drops to auth_owner (not
mail_owner), reads a password database only it may read, and, in group
shadow, sees a password changed in /etc/shadow without a restart. authd
also refuses to serve an inet listener: it is never reachable from the
network.

The auth_owner test needs root (CI runs as root); its accounts are
throwaway ones, removed at the end."""
import base64
import os
import pwd
import random
import smtplib
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, port_free  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def login(inst, user, password):
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    with smtplib.SMTP_SSL("127.0.0.1", inst.port_base + 465, context=ctx, timeout=20) as s:
        s.ehlo("client.example")
        auth = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        return s.docmd("AUTH", "PLAIN " + auth)[0]


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise AssertionError("no Uid in /proc/%d/status" % pid)


def test_authd_refuses_inet_service():
    with Instance() as inst:
        port = inst.port_base + 99
        with open(inst.path("master.cf"), "a") as f:
            f.write("127.0.0.1:%d inet n - n - 1 authd\n" % port)
        inst.start()
        # master starts a service when a client connects: be that client.
        wait_for("inet listener", lambda: not port_free(port))
        import socket
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.settimeout(10)
            try:
                assert c.recv(100) == b""  # closed without a word
            except (ConnectionResetError, socket.timeout):
                pass
        wait_for("authd refusal", lambda: "authd serves only UNIX-domain sockets, not inet service" in inst.maillog())
        # The real authd (private/auth) still serves smtpd.
        assert login(inst, "alice", "secret-alice") == 235


def test_authd_runs_as_auth_owner():
    if os.geteuid() != 0:
        print("SKIP: needs root to make accounts and change users (CI runs as root)")
        return
    tag = "%05d" % random.randrange(100000)
    auth_owner, person = "bzt-auth-" + tag, "bzt-user-" + tag
    made = []
    try:
        p = subprocess.run([os.path.join(TOP, "scripts", "system-users"), "nobody", auth_owner],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        made.append(auth_owner)
        groups = subprocess.run(["id", "-nG", auth_owner], capture_output=True, text=True).stdout.split()
        assert "shadow" in groups, groups
        # A system account with a password, for the system passdb.
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", person], check=True)
        made.append(person)
        subprocess.run(["chpasswd"], input="%s:first-pw\n" % person, text=True, check=True)
        owner = pwd.getpwnam(auth_owner)

        with Instance() as inst:
            # A hash: passdb that only auth_owner may read.
            passdb = inst.path("passdb")
            hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="erin-pw", capture_output=True,
                                    text=True, check=True).stdout.strip()
            with open(passdb, "w") as f:
                f.write("erin {SHA512-CRYPT}%s\n" % hashed)
            inst.run("map", "hash:" + passdb)
            for path in (passdb, passdb + ".db"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
                os.chmod(path, 0o600)
            inst.run("conf", "-e", "auth_owner=" + auth_owner, "auth_passdb=hash:%s system" % passdb,
                     "auth_failure_delay=1s")
            inst.start()
            wait_for("smtps listener", lambda: not port_free(inst.port_base + 465))
            assert login(inst, "erin", "erin-pw") == 235
            assert login(inst, person, "first-pw") == 235
            pids = inst.pids("authd")
            assert len(pids) == 1, pids
            assert uid_of(pids[0]) == owner.pw_uid
            mail_owner = pwd.getpwnam("nobody").pw_uid
            assert all(uid_of(pid) == mail_owner for pid in inst.pids("smtpd")), inst.pids("smtpd")
            # passwd(1) replaces /etc/shadow: authd (group shadow) rereads it.
            subprocess.run(["chpasswd"], input="%s:second-pw\n" % person, text=True, check=True)
            assert login(inst, person, "second-pw") == 235
            assert login(inst, person, "first-pw") == 535
            assert inst.pids("authd") == pids  # the same process, no restart
    finally:
        for u in reversed(made):
            subprocess.run(["userdel", u], capture_output=True)
        subprocess.run(["groupdel", auth_owner], capture_output=True)


if __name__ == "__main__":
    main([test_authd_refuses_inet_service, test_authd_runs_as_auth_owner])
