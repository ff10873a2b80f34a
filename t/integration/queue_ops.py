#!/usr/bin/env python3
"""Queue operations on a running instance: mailq / buzon queue (with the
reason of deferred mail), --json, sendmail -bp, buzon queue show, hold,
release, requeue, delete (one ID and ALL), sendmail -q."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, MAILQ  # noqa: E402

REASON = "mail transport unavailable: no relay transport yet"


def queued(inst):
    """{queue_id: record} from buzon queue --json."""
    out = inst.run("queue", "--json").stdout
    return {r["queue_id"]: r for r in map(json.loads, filter(None, out.split("\n")))}


def deferred_message(inst, rcpt, subject):
    """Submits mail for a domain without transport and waits until it is
    deferred; returns its queue ID."""
    before = set(queued(inst))
    inst.sendmail("-f", "alice@example.test", rcpt, data=b"Subject: " + subject.encode() + b"\n\nbody text\n")

    def new_deferred():
        q = {k: v for k, v in queued(inst).items() if k not in before}
        return [k for k, v in q.items() if v["queue_name"] == "deferred"]
    ids = wait_for("deferred " + rcpt, new_deferred)
    return ids[0]


def mailq(inst):
    env = dict(inst.env(), MAIL_CONFIG=inst.root)
    return subprocess.run([MAILQ], capture_output=True, text=True, env=env, timeout=30, check=True).stdout


def test_listing_and_show():
    with Instance() as inst:
        inst.start()
        qid = deferred_message(inst, "far@elsewhere.example", "first")
        text = inst.run("queue").stdout
        assert text.startswith("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"), text
        lines = text.split("\n")
        head = [l for l in lines if l.startswith(qid)][0]
        assert head[len(qid)] == " " and head.endswith(" alice@example.test"), head
        i = lines.index(head)
        assert lines[i + 1] == "(%s)" % REASON, lines[i + 1]
        assert lines[i + 2].strip() == "far@elsewhere.example"
        assert text.rstrip("\n").endswith("in 1 Request."), text
        # mailq and sendmail -bp print the same.
        assert mailq(inst) == text
        assert inst.sendmail("-bp").stdout.decode() == text
        rec = queued(inst)[qid]
        assert rec["sender"] == "alice@example.test"
        assert rec["recipients"] == [{"address": "far@elsewhere.example", "delay_reason": REASON}], rec
        show = inst.run("queue", "show", qid).stdout
        assert show.startswith("*** ENVELOPE RECORDS deferred/%s ***\n" % qid), show
        assert "\nsender: alice@example.test\n" in show
        assert "\nrecipient: far@elsewhere.example\n" in show
        assert "*** MESSAGE CONTENTS deferred/%s ***\n" % qid in show
        assert "Subject: first\n" in show and "\nbody text\n" in show
        assert show.endswith("*** MESSAGE FILE END deferred/%s ***\n" % qid)
        p = inst.run("queue", "show", "0000000000000000F", check=False)
        assert p.returncode == 1 and "no such message" in p.stderr, p.stderr
        p = inst.run("queue", "show", "../../etc/passwd", check=False)
        assert p.returncode == 1 and "invalid queue ID" in p.stderr, p.stderr


def test_hold_release_requeue_delete():
    with Instance() as inst:
        inst.start()
        a = deferred_message(inst, "one@elsewhere.example", "one")
        b = deferred_message(inst, "two@elsewhere.example", "two")
        p = inst.run("queue", "hold", a)
        assert "%s: placed on hold" % a in p.stderr and "Placed on hold: 1 message" in p.stderr, p.stderr
        assert queued(inst)[a]["queue_name"] == "hold"
        line = [l for l in inst.run("queue").stdout.split("\n") if l.startswith(a)][0]
        assert line[len(a)] == "!", line
        # A flush retries deferred mail, never held mail.
        attempts = inst.maillog().count("to=<one@elsewhere.example>")
        inst.sendmail("-q")
        wait_for("flush retry of b", lambda: inst.maillog().count("to=<two@elsewhere.example>") >= 2)
        assert inst.maillog().count("to=<one@elsewhere.example>") == attempts
        assert queued(inst)[a]["queue_name"] == "hold"

        p = inst.run("queue", "release", a)
        assert "%s: released from hold" % a in p.stderr, p.stderr
        assert queued(inst)[a]["queue_name"] == "deferred"
        p = inst.run("queue", "release", a, check=False)
        assert p.returncode == 1 and "nothing to do" in p.stderr, p.stderr

        # Requeue: back to incoming, delivered (deferred) again at once,
        # with a fresh reason.
        p = inst.run("queue", "requeue", a)
        assert "%s: requeued" % a in p.stderr, p.stderr
        wait_for("second attempt", lambda: inst.maillog().count("to=<one@elsewhere.example>") == attempts + 1)
        wait_for("deferred again", lambda: queued(inst).get(a, {}).get("queue_name") == "deferred")

        p = inst.run("queue", "delete", b)
        assert "%s: removed" % b in p.stderr and "Deleted: 1 message" in p.stderr, p.stderr
        assert b not in queued(inst)
        assert not os.path.exists(inst.path("queue", "defer", b))
        p = inst.run("queue", "delete", b, check=False)
        assert p.returncode == 1 and "no such message" in p.stderr

        c = deferred_message(inst, "three@elsewhere.example", "three")
        inst.run("queue", "hold", c)
        p = inst.run("queue", "delete", "ALL")
        assert "Deleted: 2 messages" in p.stderr, p.stderr
        assert inst.run("queue").stdout == "Mail queue is empty\n"
        assert not os.listdir(inst.path("queue", "defer"))


def test_corrupt_file_is_parked():
    """A truncated queue file (a disk error, a copy gone wrong) is moved to
    corrupt/ with a log line, never deleted, and the rest of the queue
    flows; buzon flush brings qmgr to look at once."""
    with Instance() as inst:
        inst.start()
        bad = "6B0000001000A0001"
        path = inst.path("queue", "incoming", bad)
        with open(path, "wb") as f:  # cut in the middle of a recipient record
            f.write(b"V1:1\nT17:1700000000.000001\nS18:alice@example.test\nR16:bob@example.te")
        inst.run("flush")
        wait_for("corrupt/", lambda: os.path.exists(inst.path("queue", "corrupt", bad)), timeout=20)
        log = inst.maillog()
        assert bad + ": corrupt" in log and "moved to corrupt/" in log, log[-2000:]
        inst.sendmail("-f", "alice@example.test", "bob@example.test", data=b"Subject: after it\n\nbody\n")
        wait_for("the next message", lambda: b"Subject: after it" in inst.read_mbox("bob"), timeout=20)
        assert not os.path.exists(path)


if __name__ == "__main__":
    main([test_listing_and_show, test_hold_release_requeue_delete, test_corrupt_file_is_parked])
