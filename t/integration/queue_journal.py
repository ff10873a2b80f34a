#!/usr/bin/env python3
"""The queue journal (lib/queue/journal.h): smtpd makes a message durable by
appending it to a journal segment, not by fsync'ing its queue file; qmgr
retires segments and, after a crash, restores the queue files from them.

A real power loss cannot be made here. What it leaves behind can: the queue
files that were never fsync'ed missing, empty or holding another message,
and segments written under another boot ID (rewritten in their header,
CRC and all, as a segment from before a reboot looks)."""
import os
import signal
import smtplib
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for  # noqa: E402

SEGMENT_HEADER = 64  # lib/queue/journal.h
BOOT_AT, BOOT_LEN, CRC_AT = 16, 36, 60


def journal(inst):
    d = inst.path("queue", "journal")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def stop_qmgr(inst):
    """SIGSTOP to qmgr: what smtpd accepts stays in incoming/."""
    wait_for("qmgr running", lambda: inst.pids("qmgr"))
    for pid in inst.pids("qmgr"):
        os.kill(pid, signal.SIGSTOP)


def send(inst, tag, count):
    ids = []
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        for n in range(count):
            mid = "<%s-%d@example.test>" % (tag, n)
            # Sizes differ, so that a file holding another message's bytes
            # is not the right one by chance.
            body = "line %d\r\n" % n * (n + 1)
            s.sendmail("alice@example.test", ["bob@example.test"],
                       "Message-ID: %s\r\nSubject: %s %d\r\n\r\n%s" % (mid, tag, n, body))
            ids.append(mid)
    return ids


def delivered_ids(inst):
    return inst.maildir_message_ids("bob")


def instance_pids(inst):
    """Every process of the instance (master and each daemon it started)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if inst.root.encode() in f.read().split(b"\0"):
                    out.append(int(pid))
        except OSError:
            pass
    return out


def kill_all(inst):
    """kill -9 of the whole instance, as a crash leaves it: master first, so
    that it starts no more processes, then the rest until none is left (a
    process in execve has no command line to find it by for a moment)."""
    def kill(pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    kill(inst.pids("master"))
    quiet = 0
    deadline = time.monotonic() + 20
    while quiet < 3:
        assert time.monotonic() < deadline, "processes left: %s" % instance_pids(inst)
        pids = instance_pids(inst)
        quiet = 0 if pids else quiet + 1
        kill(pids)
        time.sleep(0.1)
    inst.started = False


def as_before_a_reboot(path):
    """Gives a segment another boot ID, with its header CRC made right."""
    with open(path, "r+b") as f:
        head = bytearray(f.read(SEGMENT_HEADER))
        assert head[:4] == b"BZJS", head[:4]
        head[BOOT_AT:BOOT_AT + BOOT_LEN] = b"00000000-0000-4000-8000-000000000000"
        head[CRC_AT:CRC_AT + 4] = (zlib.crc32(bytes(head[:CRC_AT])) & 0xffffffff).to_bytes(4, "little")
        f.seek(0)
        f.write(head)


def test_queue_files_lost_in_a_crash_are_restored_from_the_journal():
    with Instance() as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/")
        inst.start()
        # qmgr stopped: the messages stay in incoming/, as mail waiting when
        # the power goes.
        stop_qmgr(inst)
        ids = send(inst, "lost", 6)
        incoming = sorted(os.listdir(inst.path("queue", "incoming")))
        assert len(incoming) == 6, incoming
        segments = journal(inst)
        assert segments, "smtpd wrote no journal segment"
        kill_all(inst)

        # What a crash can leave of files that were never fsync'ed.
        q = lambda name: inst.path("queue", "incoming", name)  # noqa: E731
        os.unlink(q(incoming[0]))
        os.unlink(q(incoming[1]))
        open(q(incoming[2]), "wb").close()
        with open(q(incoming[4]), "rb") as f:
            other = f.read()
        with open(q(incoming[3]), "wb") as f:
            f.write(other)  # another message's blocks under this name
        for s in segments:
            as_before_a_reboot(inst.path("queue", "journal", s))

        inst.start()
        wait_for("all six delivered", lambda: set(delivered_ids(inst)) >= set(ids), timeout=30)
        wait_for("segments retired", lambda: not journal(inst), timeout=10)
        got = delivered_ids(inst)
        assert sorted(got) == sorted(ids), got  # each once
        log = inst.maillog()
        assert log.count("restored from the queue journal (no queue file)") == 2, log[-3000:]
        assert log.count("restored from the queue journal (queue file damaged)") == 2, log[-3000:]
        assert "was written before a crash or reboot: 6 messages, 4 queue files restored" in log
        # The restored messages are whole: the body smtpd accepted.
        for m in inst.maildir_messages("bob"):
            n = int(m.split(b"Subject: lost ", 1)[1].split(b"\n", 1)[0])
            assert (b"line %d\n" % n) * (n + 1) in m


def test_a_kill_in_the_same_boot_restores_nothing_and_duplicates_nothing():
    with Instance() as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/")
        inst.start()
        first = send(inst, "before", 5)
        wait_for("delivered", lambda: len(delivered_ids(inst)) == 5, timeout=20)
        stop_qmgr(inst)
        waiting = send(inst, "waiting", 3)
        assert journal(inst)
        kill_all(inst)
        inst.start()
        wait_for("the waiting ones delivered", lambda: len(delivered_ids(inst)) >= 8, timeout=20)
        wait_for("segments retired", lambda: not journal(inst), timeout=10)
        time.sleep(1.5)  # a second sweep: nothing more may come
        assert sorted(delivered_ids(inst)) == sorted(first + waiting)
        assert "restored from the queue journal" not in inst.maillog()


def test_a_clean_stop_leaves_no_segment():
    with Instance() as inst:
        inst.run("conf", "-e", "home_mailbox=Maildir/")
        inst.start()
        stop_qmgr(inst)
        send(inst, "stop", 2)
        assert journal(inst)
        for pid in inst.pids("qmgr"):
            os.kill(pid, signal.SIGCONT)
        inst.stop()
        assert journal(inst) == []
        # The messages are still queued (or delivered), durable on their own.
        assert len(inst.queue_files()) + len(delivered_ids(inst)) == 2


if __name__ == "__main__":
    main([test_queue_files_lost_in_a_crash_are_restored_from_the_journal,
          test_a_kill_in_the_same_boot_restores_nothing_and_duplicates_nothing,
          test_a_clean_stop_leaves_no_segment])
