#!/usr/bin/env python3
"""fetchmail against pop3d over mbox and Maildir, as a user configures it:
STLS (--sslproto), POP3S (--ssl), --keep with UIDL-based --uidl (only new
mail is fetched again), then --nokeep (the maildrop is emptied)."""
import os
import poplib
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main  # noqa: E402
from pop3_common import make_instance, deliver, password  # noqa: E402


class Fetchmail:
    def __init__(self, inst, user):
        self.inst = inst
        self.dir = tempfile.mkdtemp(prefix="buzon-fetchmail-")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        self.rc = os.path.join(self.dir, "fetchmailrc")
        with open(self.rc, "w") as f:
            f.write('set no syslog\n')
            f.write('poll 127.0.0.1 with proto POP3\n')
            f.write('  user "%s" there with password "%s" is "%s" here\n' % (user, password(user), user))
            f.write("  mda \"/bin/sh -c 'cat > %s/msg.$$'\"\n" % self.out)
        os.chmod(self.rc, 0o600)

    def run(self, *args):
        env = dict(os.environ, HOME=self.dir, FETCHMAILHOME=self.dir)
        p = subprocess.run(["fetchmail", "-f", self.rc, "--idfile", os.path.join(self.dir, "ids"),
                            "--nosslcertck", "-v", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        return p

    def fetched(self):
        out = []
        for n in sorted(os.listdir(self.out)):
            with open(os.path.join(self.out, n), "rb") as f:
                out.append(f.read())
        return out

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def stat(inst, user):
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
    p.user(user)
    p.pass_(password(user))
    n = p.stat()[0]
    p.quit()
    return n


def fetchmail_session(fmt):
    with make_instance(fmt) as inst:
        deliver(inst, "alice", "fm one")
        deliver(inst, "alice", "fm two")
        fm = Fetchmail(inst, "alice")
        try:
            stls = ["--service", str(inst.pop3_port), "--sslproto", "TLS1.2+"]
            p = fm.run("--keep", "--uidl", *stls)
            assert p.returncode == 0, (p.stdout, p.stderr)
            assert len(fm.fetched()) == 2, (p.stdout, p.stderr)
            assert "STLS" in p.stdout + p.stderr, (p.stdout, p.stderr)
            assert stat(inst, "alice") == 2  # --keep

            p = fm.run("--keep", "--uidl", *stls)
            assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)  # 1: no new mail
            assert len(fm.fetched()) == 2

            deliver(inst, "alice", "fm three")
            p = fm.run("--keep", "--uidl", *stls)
            assert p.returncode == 0, (p.stdout, p.stderr)
            fetched = fm.fetched()
            assert len(fetched) == 3 and any(b"Subject: fm three" in m for m in fetched), fetched

            # POP3S and --nokeep --all: everything fetched once more and deleted.
            p = fm.run("--nokeep", "--all", "--ssl", "--service", str(inst.pop3s_port))
            assert p.returncode == 0, (p.stdout, p.stderr)
            assert len(fm.fetched()) == 6
            assert stat(inst, "alice") == 0
            inst.wait_log("del=3/3")  # pop3d logs it after its last reply
        finally:
            fm.close()


def test_fetchmail_mbox():
    fetchmail_session("mbox")


def test_fetchmail_maildir():
    fetchmail_session("maildir")


if __name__ == "__main__":
    main([test_fetchmail_mbox, test_fetchmail_maildir])
