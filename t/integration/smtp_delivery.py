#!/usr/bin/env python3
"""SMTP to mailbox through the real chain master -> smtpd -> qmgr -> local,
with smtplib and swaks, comparing the delivered bytes."""
import email
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402

BODY = ("Subject: first\r\nFrom: alice@example.test\r\nTo: bob@example.test\r\n"
        "Message-ID: <m1@example.test>\r\n\r\nHello Bob.\r\n.leading dot\r\n"
        "From the start of a line\r\nlast line\r\n")


def test_smtplib_to_mbox():
    with Instance(add_missing_headers=False) as inst:
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            code, _ = s.ehlo("client.example.test")
            assert code == 250
            refused = s.sendmail("alice@example.test", ["bob@example.test"], BODY)
            assert refused == {}
        data = wait_for("mbox delivery", lambda: inst.read_mbox("bob"))
        assert data.startswith(b"From alice@example.test "), data[:80]
        msgs = split_mbox(data)
        assert len(msgs) == 1, msgs
        msg = msgs[0]
        # Headers local adds, then smtpd's Received:, then the message as sent.
        assert msg.startswith(b"Return-Path: <alice@example.test>\nDelivered-To: bob@example.test\nReceived: from client.example.test (unknown [127.0.0.1])"), msg[:300]
        expected = BODY.replace("\r\n", "\n").replace("\nFrom the", "\n>From the").encode()
        received_end = msg.index(b"\nSubject: first") + 1
        assert msg[received_end:] == expected + b"\n", (msg[received_end:], expected)
        assert b"with ESMTP id " in msg
        inst.wait_queue_empty()
        q = subprocess.run([os.path.join(os.environ.get("BUZON_BUILDDIR", "build"), "mailq")],
                           env=dict(os.environ, MAIL_CONFIG=inst.root), capture_output=True, text=True)
        assert "Mail queue is empty" in q.stdout, q.stdout + q.stderr
        log = inst.wait_log(": removed")  # qmgr logs it after the file is gone
        assert re.search(r"to=<bob@example.test>, relay=local, delay=[0-9.]+, delays=[0-9./]+, dsn=2\.0\.0, status=sent", log), log
        # A message's lines come in Postfix's order, which log tools rely on:
        # smtpd's client= and message-id= before qmgr's from=, the delivery
        # and removed (qmgr may take the file while smtpd still syncs it).
        qid = re.search(r"smtpd\[\d+\]: ([0-9A-F]+): client=", log).group(1)
        steps = [r"smtpd\[\d+\]: %s: client=" % qid, r"smtpd\[\d+\]: %s: message-id=" % qid,
                 r"qmgr\[\d+\]: %s: from=" % qid, r"%s: to=<bob@example.test>, relay=local" % qid,
                 r"qmgr\[\d+\]: %s: removed" % qid]
        at = [re.search(step, log).start() for step in steps]
        assert at == sorted(at), log


def test_swaks_to_maildir():
    with Instance() as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/")
        inst.start()
        p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.smtp_port,
                            "--to", "alice@example.test", "--from", "bob@example.test",
                            "--header", "Subject: swaks test", "--body", "swaks body line"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "250 2.0.0 Ok: queued as" in p.stdout, p.stdout
        msgs = wait_for("maildir delivery", lambda: inst.maildir_messages("alice"))
        assert len(msgs) == 1
        m = email.message_from_bytes(msgs[0])
        assert m["Return-Path"] == "<bob@example.test>"
        assert m["Delivered-To"] == "alice@example.test"
        assert m["Subject"] == "swaks test"
        assert "swaks body line" in m.get_payload()
        name = os.listdir(inst.maildir_new("alice"))[0]
        assert re.search(r",S=%d$" % len(msgs[0]), name), name
        assert inst.read_mbox("alice") == b""


def test_queue_file_of_a_delivered_message_is_reused():
    """qmgr keeps the file of a delivered message as an empty spare in tmp/
    and smtpd writes the next message into that same file (inode)."""
    with Instance() as inst:
        inst.start()
        first = "Subject: one\r\n\r\n" + "first message line\r\n" * 200
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            assert s.sendmail("alice@example.test", ["bob@example.test"], first) == {}
        wait_for("first delivery", lambda: len(split_mbox(inst.read_mbox("bob"))) == 1)
        inst.wait_queue_empty()
        # qmgr empties the file after it takes a spare's name, then logs removed.
        inst.wait_log(": removed")
        spares = wait_for("a spare", inst.spare_files)
        assert len(spares) == 1, spares
        (name, inode), = spares.items()
        assert os.path.getsize(inst.path("queue", "tmp", name)) == 0
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            assert s.sendmail("alice@example.test", ["bob@example.test"], "Subject: two\r\n\r\nsecond\r\n") == {}
        wait_for("second delivery", lambda: len(split_mbox(inst.read_mbox("bob"))) == 2)
        inst.wait_queue_empty()
        second = split_mbox(inst.read_mbox("bob"))[1]
        assert b"\nSubject: two\n" in second and second.endswith(b"\n\nsecond\n\n"), second[-200:]
        assert b"first message line" not in second
        again = wait_for("the spare back", inst.spare_files)
        assert list(again.values()) == [inode], (spares, again)


def test_one_local_process_serves_parallel_deliveries():
    """local_process_client_limit above 1: one local process takes several
    qmgr connections at once and syncs each Maildir file before its reply;
    every message arrives once."""
    with Instance() as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/", "local_process_client_limit=8",
                 "local_destination_concurrency_limit=8", "local_destination_recipient_limit=50")
        inst.start()
        errors = []

        def send(worker):
            try:
                for i in range(5):
                    to = ("alice", "bob")[(worker + i) % 2]
                    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20) as s:
                        s.sendmail("alice@example.test", [to + "@example.test"],
                                   "Subject: m-%d-%d\r\n\r\nbody\r\n" % (worker, i))
            except Exception as e:  # reported below; a thread cannot fail the test itself
                errors.append(e)

        threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors

        def subjects():
            return sorted(email.message_from_bytes(m)["Subject"]
                          for u in ("alice", "bob") for m in inst.maildir_messages(u))
        want = sorted("m-%d-%d" % (w, i) for w in range(8) for i in range(5))
        wait_for("40 deliveries", lambda: len(subjects()) >= 40)
        inst.wait_queue_empty()
        assert subjects() == want
        assert inst.maillog().count("status=sent") == 40
        # Eight parallel deliveries fit one process; master may have started
        # a second while the first announced itself.
        assert 1 <= len(inst.pids("local", forks=False)) <= 2, inst.pids("local", forks=False)
        assert not os.listdir(inst.path("home", "alice", "Maildir", "tmp"))


def test_qmgr_hears_of_new_mail_after_it_was_killed():
    """smtpd tells qmgr of each message over one connection it keeps; when
    qmgr dies (kill -9) and master starts another, the next message still
    wakes it at once, long before qmgr's periodic scan (an hour here)."""
    with Instance() as inst:
        inst.run("conf", "-e", "queue_run_delay=3600s")
        inst.start()

        def send(subject):
            with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
                assert s.sendmail("alice@example.test", ["bob@example.test"],
                                  "Subject: %s\r\n\r\nbody\r\n" % subject) == {}
            wait_for(subject + " delivered", lambda: b"\nSubject: %s\n" % subject.encode() in inst.read_mbox("bob"))

        for i in range(3):
            send("before-%d" % i)
        # Killed once it is idle, so that no delivery is repeated.
        wait_for("qmgr done", lambda: inst.maillog().count(": removed") == 3)
        (old,) = inst.pids("qmgr", forks=False)
        os.kill(old, signal.SIGKILL)
        wait_for("a new qmgr", lambda: [p for p in inst.pids("qmgr", forks=False) if p != old], timeout=20)
        send("after")
        send("after-again")
        assert len(split_mbox(inst.read_mbox("bob"))) == 5
        assert "qmgr trigger" not in inst.maillog()


def test_unknown_user_and_relay_refused():
    with Instance() as inst:
        # 127.0.0.1 outside mynetworks: an Internet client (t/integration/smtpd_relay.py has the rest).
        inst.run("conf", "-e", "mynetworks=10.0.0.0/8")
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.test")
            s.mail("alice@example.test")
            code, msg = s.rcpt("nobody@example.test")
            assert code == 550 and msg.startswith(b"5.1.1"), (code, msg)
            code, msg = s.rcpt("someone@elsewhere.example")
            assert code == 454 and msg.startswith(b"4.7.1"), (code, msg)
            code, msg = s.rcpt("user%elsewhere.example@example.test")
            assert code == 454 and msg.endswith(b"Relay access denied"), (code, msg)
            code, msg = s.rcpt("Alice@EXAMPLE.TEST.")
            assert code == 250, (code, msg)
            code, msg = s.verify("alice")
            assert code == 502, (code, msg)


if __name__ == "__main__":
    main([test_smtplib_to_mbox, test_swaks_to_maildir, test_queue_file_of_a_delivered_message_is_reused,
          test_one_local_process_serves_parallel_deliveries, test_qmgr_hears_of_new_mail_after_it_was_killed,
          test_unknown_user_and_relay_refused])
