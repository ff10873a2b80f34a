#!/usr/bin/env python3
"""Bounces survive kill -9: messages sent with smtplib while qmgr and local
are killed repeatedly; half of them are too big for the recipient's
mailbox and bounce. Afterwards every accepted small message is delivered
exactly once, every accepted big message has its non-delivery report, and
a report is repeated at most once per qmgr kill (the design: the report is
committed before the failed recipient is marked done, and qmgr settles one
message at a time)."""
import email
import os
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for  # noqa: E402

TOTAL = int(os.environ.get("BUZON_CRASH_BOUNCES", "200"))
CLIENTS = 5
# mailbox_size_limit limits each Maildir message file: the small messages
# (under 1 kB each) fit, a big one never does, and alice's reports fit hers.
LIMIT = 100000
BIG = (b"x" * 70 + b"\r\n") * 1500  # 108,000 bytes: over LIMIT


def message_ids(msgs):
    return [email.message_from_bytes(m)["Message-ID"] for m in msgs]


def returned_ids(reports):
    """Message-IDs of the originals quoted in the reports' header parts."""
    out = []
    for raw in reports:
        m = email.message_from_bytes(raw)
        assert m.get_content_type() == "multipart/report", m.get_content_type()
        headers = m.get_payload()[2].get_payload()
        if isinstance(headers, list):  # message/rfc822
            headers = headers[0].as_string()
        for line in headers.split("\n"):
            if line.lower().startswith("message-id:"):
                out.append(line.split(":", 1)[1].strip())
    return out


def test_bounces_survive_kills():
    with Instance() as inst:
        # Deliveries cut by a kill of local are deferred: retry them soon.
        inst.run("conf", "-e", "home_mailbox=Maildir/", "service_throttle_time=1s", "mailbox_size_limit=%d" % LIMIT,
                 "minimal_backoff_time=1s", "maximal_backoff_time=2s", "queue_run_delay=1s")
        inst.start()
        accepted_small, accepted_big, errors = set(), set(), []
        lock = threading.Lock()
        counter = iter(range(TOTAL))

        def client():
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                big = n % 2 == 1
                mid = "<cb-%d@example.test>" % n
                body = b"Message-ID: " + mid.encode() + b"\r\nSubject: %d\r\n\r\n" % n + (BIG if big else b"hi\r\n")
                try:
                    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
                        s.sendmail("alice@example.test", ["bob@example.test"], body)
                    with lock:
                        (accepted_big if big else accepted_small).add(mid)
                except Exception as e:  # a refused message just does not count
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        qmgr_kills = kills = 0
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in threads) or (kills < 6 and time.monotonic() < deadline):
            for prog in ("qmgr", "local"):
                for pid in inst.pids(prog):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills += 1
                        qmgr_kills += prog == "qmgr"
                    except ProcessLookupError:
                        pass
            time.sleep(0.3)
        for t in threads:
            t.join()
        assert qmgr_kills >= 2, "the test must really kill qmgr (%d kills)" % qmgr_kills
        accepted = len(accepted_small) + len(accepted_big)
        assert accepted >= TOTAL * 0.9, (accepted, errors[:5])
        inst.run("flush", check=False)

        def settled():
            return (set(message_ids(inst.maildir_messages("bob"))) >= accepted_small
                    and set(returned_ids(inst.maildir_messages("alice"))) >= accepted_big)
        wait_for("every message delivered or returned", settled, timeout=120, interval=0.5)
        inst.wait_queue_empty(timeout=30)
        delivered = message_ids(inst.maildir_messages("bob"))
        returned = returned_ids(inst.maildir_messages("alice"))
        assert len(delivered) == len(set(delivered)), "a delivery was repeated"
        assert set(delivered) == accepted_small, set(delivered) ^ accepted_small
        assert set(returned) == accepted_big, set(returned) ^ accepted_big
        repeated = len(returned) - len(set(returned))
        assert repeated <= qmgr_kills, (repeated, qmgr_kills)
        print("accepted=%d returned=%d repeated=%d kills=%d (qmgr %d)"
              % (accepted, len(returned), repeated, kills, qmgr_kills))


if __name__ == "__main__":
    main([test_bounces_survive_kills])
