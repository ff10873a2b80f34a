#!/usr/bin/env python3
"""POP3 for a user of a virtual mailbox domain (no system account): the
virtual(8) agent delivers into virtual_mailbox_base, and the same user,
listed in local_passwd_file with the full address as its name and its
folder under the base as home, logs in with the full address and reads that Maildir with poplib,
next to a local user of the same instance. Dovecot's recipe for virtual
users: a passwd-file whose home is the user's folder under the base."""
import os
import poplib
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for  # noqa: E402
from pop3_common import make_instance, deliver, password  # noqa: E402

VUSER = "carol@virt.example"
VPASS = "carol-virtual-pw"


def virtual_domain(inst):
    st = os.stat(inst.path("mail"))  # the instance account delivers and reads
    home = inst.path("vmail", "virt.example", "carol")
    os.makedirs(home)
    for p in (inst.path("vmail"), inst.path("vmail", "virt.example"), home):
        os.chown(p, st.st_uid, st.st_gid)
    with open(inst.path("vmailbox"), "w") as f:
        f.write("%s virt.example/carol/Maildir/\n" % VUSER)
    inst.run("map", "hash:" + inst.path("vmailbox"))
    inst.run("conf", "-e",
             "virtual_mailbox_domains=virt.example",
             "virtual_mailbox_maps=hash:" + inst.path("vmailbox"),
             "virtual_mailbox_base=" + inst.path("vmail"),
             "virtual_uid_maps=static:%d" % st.st_uid,
             "virtual_gid_maps=static:%d" % st.st_gid)
    # A virtual user as the administrator adds one (Dovecot's passwd-file
    # layout): the full address as the name, the vmail uid/gid, the user's
    # folder under the base as home.
    inst.run("user", "add", VUSER, "--stdin", "--uid", str(st.st_uid), "--gid", str(st.st_gid), "--home", home,
             input=VPASS + "\n")
    line = [l for l in open(inst.path("passwd")).read().split("\n") if l.startswith(VUSER + ":")]
    assert len(line) == 1 and line[0].endswith(":%d:%d::%s::" % (st.st_uid, st.st_gid, home)), line
    # A bad uid is refused before anything is written.
    p = inst.run("user", "add", "dave@virt.example", "--stdin", "--uid", "0", input="x\n", check=False)
    assert p.returncode != 0 and "--uid and --gid" in p.stderr, p.stderr


def new_files(inst):
    d = inst.path("vmail", "virt.example", "carol", "Maildir", "new")
    return os.listdir(d) if os.path.isdir(d) else []


def test_virtual_user_reads_mail_over_pop3():
    with make_instance("maildir", setup=virtual_domain) as inst:
        msg = "From: someone@example.org\r\nTo: %s\r\nSubject: for carol\r\n\r\nvirtual hello\r\n" % VUSER
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20) as s:
            s.sendmail("someone@example.org", [VUSER], msg.encode())
        wait_for("virtual delivery", lambda: len(new_files(inst)) == 1, timeout=20)
        # qmgr logs the delivery when the agent's reply comes, a moment
        # after the file appears.
        wait_for("the delivery log line", lambda: "relay=virtual" in inst.maillog(), timeout=20)
        deliver(inst, "alice", "for alice")

        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.user(VUSER)
        assert p.pass_(VPASS).startswith(b"+OK Logged in.")
        assert p.stat()[0] == 1
        lines = p.retr(1)[1]
        assert b"Subject: for carol" in lines and b"virtual hello" in lines, lines
        p.dele(1)
        p.quit()
        assert new_files(inst) == []
        cur = inst.path("vmail", "virt.example", "carol", "Maildir", "cur")
        assert os.listdir(cur) == [], os.listdir(cur)

        # The local user of the same instance still reads her own INBOX.
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.user("alice")
        p.pass_(password("alice"))
        assert p.stat()[0] == 1
        assert b"Subject: for alice" in p.retr(1)[1]
        p.quit()
        wait_for("the login in the log", lambda: "login: user=<%s>" % VUSER in inst.maillog())


if __name__ == "__main__":
    main([test_virtual_user_reads_mail_over_pop3])
