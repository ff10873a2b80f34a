#!/usr/bin/env python3
"""Local delivery as Postfix local(8): aliases (lists, :include:, |command,
/file, owner-), forwarding through a new queue file, loop detection,
~/.forward, luser_relay and mailbox_command, with real
clients (smtplib, sendmail) and the mbox read with s-nail."""
import email
import email.policy
import os
import re
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402


def subjects(inst, user):
    """The subjects s-nail lists for the user's mbox, as a user would see them."""
    env = dict(os.environ, MAILRC="/dev/null", HOME=inst.dir)
    p = subprocess.run(["s-nail", "-n", "-N", "-R", "-H", "-f", inst.mbox(user)],
                       capture_output=True, text=True, env=env, timeout=30)
    return p.stdout


def smtp_send(inst, sender, rcpts, subject, body="hello\n"):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        s.sendmail(sender, rcpts, "From: %s\nSubject: %s\n\n%s" % (sender, subject, body))


def shared(inst):
    out = os.path.join(inst.dir, "out")
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o1777)  # commands and files run as the alias owner (nobody when root runs the test)
    return out


def log_has(inst, text):
    return text in inst.maillog()


def test_aliases_lists_include_command_file_loop():
    with Instance(users=("alice", "bob", "carol")) as inst:
        out = shared(inst)
        team = os.path.join(out, "team.txt")
        with open(team, "w") as f:
            f.write("# the team\nbob\ncarol\n")
        os.chmod(team, 0o644)
        with open(inst.path("aliases"), "a") as f:
            f.write("staff: alice,\n  bob\n"
                    "team: :include:%s\n"
                    "pipe: \"|cat > %s/piped\"\n"
                    "archive: %s/archive\n"
                    "ring1: ring2\nring2: ring1\n"
                    "list: carol\nowner-list: alice\n" % (team, out, out))
        inst.sendmail("-bi")
        inst.start()
        # local_recipient_maps (accounts and aliases): unknown users are
        # refused at RCPT, as reject_unlisted_recipient does in Postfix.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("ext@example.org")
            assert s.rcpt("staff@example.test")[0] == 250
            code, text = s.rcpt("nosuch@example.test")
            assert (code, text) == (550, b"5.1.1 <nosuch@example.test>: Recipient address rejected: "
                                         b"User unknown in local recipient table"), (code, text)
        smtp_send(inst, "ext@example.org", ["staff@example.test"], "to staff")
        wait_for("staff copies", lambda: "to staff" in subjects(inst, "alice") and "to staff" in subjects(inst, "bob"),
                 timeout=20)
        alice = split_mbox(inst.read_mbox("alice"))[0]
        assert b"Delivered-To: alice@example.test\n" in alice and b"Delivered-To: staff@example.test\n" in alice
        assert b"Return-Path: <ext@example.org>" in alice
        # One log line per delivery, Postfix's shape, with the alias as orig_to
        # (qmgr writes it once local has answered, after the mailbox write).
        wait_for("alice's delivery line", lambda: re.search(
            r"to=<alice@example\.test>, orig_to=<staff@example\.test>, relay=local, delay=[0-9.]+, "
            r"delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(delivered to mailbox\)",
            inst.maillog()))
        smtp_send(inst, "ext@example.org", ["team@example.test", "pipe@example.test", "archive@example.test"],
                  "three kinds")
        wait_for("team", lambda: "three kinds" in subjects(inst, "carol"), timeout=20)
        wait_for("command", lambda: os.path.exists(os.path.join(out, "piped")) and
                 b"three kinds" in open(os.path.join(out, "piped"), "rb").read())
        wait_for("file", lambda: os.path.exists(os.path.join(out, "archive")) and
                 b"three kinds" in open(os.path.join(out, "archive"), "rb").read())
        assert oct(os.stat(os.path.join(out, "archive")).st_mode & 0o777) == "0o600"
        # owner-list: the copy's sender is the owner.
        smtp_send(inst, "ext@example.org", ["list@example.test"], "via list")
        wait_for("list", lambda: "via list" in subjects(inst, "carol"), timeout=20)
        last = split_mbox(inst.read_mbox("carol"))[-1]
        assert b"Return-Path: <owner-list@example.test>" in last, last[:300]
        # ring1 -> ring2 -> ring1: the second visit finds its Delivered-To.
        smtp_send(inst, "alice@example.test", ["ring1@example.test"], "round and round")
        wait_for("loop bounce", lambda: log_has(inst, "mail forwarding loop for ring1@example.test"), timeout=20)
        assert "dsn=5.4.6" in inst.maillog()


def test_forward_luser_relay_mailbox_command():
    with Instance(users=("alice", "bob")) as inst:
        fwd = inst.path("home", "bob", ".forward")
        with open(fwd, "w") as f:
            f.write("alice, \\bob\n")
        st = os.stat(inst.path("home", "bob"))
        os.chown(fwd, st.st_uid, st.st_gid)
        # luser_relay needs smtpd to accept unknown local parts (Postfix too).
        inst.run("conf", "-e", "luser_relay=alice", "recipient_delimiter=+", "local_recipient_maps=")
        inst.start()
        inst.sendmail("bob+news@example.test", "nosuch@example.test", data=b"Subject: forwarded\n\nx\n")
        wait_for("bob keeps a copy", lambda: "forwarded" in subjects(inst, "bob"), timeout=20)
        wait_for("alice gets two", lambda: len(split_mbox(inst.read_mbox("alice"))) == 2, timeout=20)
        inst.wait_queue_empty()
        # mailbox_command, procmail style: a script that files the message.
        script = os.path.join(inst.dir, "filter.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncat > \"$HOME/filtered.$$\"\necho \"$SENDER $RECIPIENT $EXTENSION\" >> \"$HOME/filter.log\"\n")
        os.chmod(script, 0o755)
        inst.run("conf", "-e", "mailbox_command=" + script, "luser_relay=")
        inst.reload()
        os.unlink(fwd)
        inst.sendmail("-f", "sender@example.org", "bob+x@example.test", data=b"Subject: filtered\n\nx\n")
        log = inst.path("home", "bob", "filter.log")
        wait_for("filter ran", lambda: os.path.exists(log) and open(log).read(), timeout=20)
        assert open(log).read() == "sender@example.org bob+x@example.test x\n"


def test_maildir_file_over_the_limit_bounces():
    """mailbox_size_limit limits each Maildir message file, as Postfix's does:
    a message larger than the limit bounces 5.2.2 to the sender, who reads
    the report (here a Maildir too) with s-nail; a small one is delivered
    although the Maildir and its Maildir++ folders already hold more than
    the limit."""
    with Instance(users=("alice", "bob")) as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/", "mailbox_size_limit=20000")
        folder = inst.path("home", "bob", "Maildir", ".Lists", "cur")
        os.makedirs(folder)
        filed = os.path.join(folder, "1700000000.M1P1.host,S=19000:2,S")
        with open(filed, "wb") as f:
            f.write(b"Subject: filed by a filter\n\n" + b"z" * 18970 + b"\n")
        home = inst.path("home", "bob")
        st = os.stat(home)
        for d, _, files in os.walk(os.path.join(home, "Maildir")):  # bob's, as a filter would leave it
            os.chown(d, st.st_uid, st.st_gid)
            for n in files:
                os.chown(os.path.join(d, n), st.st_uid, st.st_gid)
        inst.start()
        smtp_send(inst, "alice@example.test", ["bob@example.test"], "too big", "line of text\n" * 1700)  # ~22 kB
        wait_for("bounce", lambda: inst.maildir_messages("alice"), timeout=20)
        assert inst.maildir_messages("bob") == []
        report = email.message_from_bytes(inst.maildir_messages("alice")[0], policy=email.policy.default)
        assert report.get_content_type() == "multipart/report"
        status = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"][0]
        fields = status.get_payload()[1]
        assert fields["Status"] == "5.2.2" and "mailbox full" in fields["Diagnostic-Code"], str(fields)
        assert "status=bounced (mailbox full)" in inst.maillog()
        env = dict(os.environ, MAILRC="/dev/null", HOME=inst.dir)
        p = subprocess.run(["s-nail", "-n", "-N", "-R", "-H", "-S", "headline=%s", "-f", "maildir://" + inst.path("home", "alice", "Maildir")],
                           capture_output=True, text=True, env=env, timeout=30)
        assert "Undelivered Mail Returned to Sender" in p.stdout, p.stdout + p.stderr
        smtp_send(inst, "alice@example.test", ["bob@example.test"], "fits", "line of text\n" * 100)
        wait_for("delivery", lambda: inst.maildir_messages("bob"), timeout=20)
        assert b"Subject: fits" in inst.maildir_messages("bob")[0]


if __name__ == "__main__":
    main([test_aliases_lists_include_command_file_loop, test_forward_luser_relay_mailbox_command,
          test_maildir_file_over_the_limit_bounces])
