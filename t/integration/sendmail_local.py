#!/usr/bin/env python3
"""sendmail submits over public/submit: the sender comes from the caller's
uid; -t, -f, -F, -i; Maildir after conf -e + reload."""
import os
import pwd
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402

ME = pwd.getpwuid(os.getuid()).pw_name


def test_sendmail_to_mbox_then_maildir():
    with Instance() as inst:
        inst.start()
        inst.sendmail("bob@example.test", data=b"hi\n")
        data = wait_for("mbox delivery", lambda: inst.read_mbox("bob"))
        first = data.split(b"\n", 1)[0]
        assert first.startswith(("From %s@example.test " % ME).encode()), first
        msg = split_mbox(data)[0]
        assert b"\nFrom: " in msg and (b"<%s@example.test>" % ME.encode()) in msg, msg
        assert b"\nhi\n" in msg
        # smtpd completes local submissions as Postfix's cleanup does.
        assert b"\nDate: " in msg and b"\nMessage-ID: <" in msg, msg
        # Maildir after a reload, as an administrator would switch.
        inst.run("conf", "-e", "home_mailbox=Maildir/")
        inst.reload()
        inst.wait_queue_empty()
        inst.sendmail("bob", data=b"Subject: second\n\nto maildir\n")
        msgs = wait_for("maildir delivery", lambda: inst.maildir_messages("bob"), timeout=20)
        assert b"to maildir" in msgs[0]
        assert len(split_mbox(inst.read_mbox("bob"))) == 1


def test_sendmail_t_f_F_i():
    with Instance() as inst:
        inst.start()
        msg = (b"To: alice@example.test\nCc: Bob <bob@example.test>\nBcc: alice@example.test\n"
               b"Subject: -t test\n\nline one\n.\nafter a lone dot\n")
        inst.sendmail("-t", "-i", "-f", "list-owner@example.test", "-F", "List Robot", data=msg)
        a = wait_for("alice", lambda: inst.read_mbox("alice"))
        b = wait_for("bob", lambda: inst.read_mbox("bob"))
        for d in (a, b):
            assert d.startswith(b"From list-owner@example.test "), d[:60]
            assert b"Bcc:" not in d
            assert b"\n.\nafter a lone dot\n" in d, d
            assert b"From: List Robot <" in d, d
        assert len(split_mbox(a)) == 1, "Bcc and To named alice: one delivery"
        # Without -i, a lone dot ends the input.
        inst.sendmail("alice", data=b"Subject: dot\n\nbefore\n.\nafter\n")
        wait_for("second", lambda: len(split_mbox(inst.read_mbox("alice"))) == 2)
        last = split_mbox(inst.read_mbox("alice"))[1]
        assert b"before" in last and b"after" not in last


def test_sendmail_failures():
    with Instance() as inst:
        inst.start()
        p = inst.sendmail(data=b"x\n", check=False)
        assert p.returncode == 64 and b"no recipients" in p.stderr, p
        p = inst.sendmail("nosuchuser@example.test", data=b"x\n", check=False)
        assert p.returncode != 0, p
        inst.stop()
        p = inst.sendmail("bob", data=b"x\n", check=False)
        assert p.returncode == 75, p  # EX_TEMPFAIL: nobody is listening


if __name__ == "__main__":
    main([test_sendmail_to_mbox_then_maildir, test_sendmail_t_f_F_i, test_sendmail_failures])
