#!/usr/bin/env python3
"""1,000 messages sent in parallel while qmgr and local are killed with
SIGKILL several times: every message that got 250 is delivered, none twice."""
import os
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for  # noqa: E402

TOTAL = int(os.environ.get("BUZON_CRASH_MESSAGES", "1000"))
CLIENTS = 10


def test_kill_qmgr_and_local_under_load():
    with Instance() as inst:
        # A qmgr killed before it finished starting is throttled, as by
        # Postfix's master; keep that pause short so the kills go on.
        inst.run("conf", "-e", "home_mailbox=Maildir/", "service_throttle_time=1s")
        inst.start()
        accepted, errors = set(), []
        lock = threading.Lock()
        counter = iter(range(TOTAL))
        next_lock = threading.Lock()

        def client():
            while True:
                with next_lock:
                    n = next(counter, None)
                if n is None:
                    return
                mid = "<crash-%d@example.test>" % n
                try:
                    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
                        s.sendmail("alice@example.test", ["bob@example.test"],
                                   "Message-ID: %s\r\nSubject: %d\r\n\r\nbody %d\r\n" % (mid, n, n))
                    with lock:
                        accepted.add(mid)
                except Exception as e:  # a refused message just does not count
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        kills = 0
        # Kill while the clients send, and on until there were enough kills
        # (a slow build may deliver everything between two rounds).
        deadline = time.monotonic() + 120
        while any(t.is_alive() for t in threads) or (kills < 8 and time.monotonic() < deadline):
            for prog in ("qmgr", "local"):
                for pid in inst.pids(prog):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills += 1
                    except ProcessLookupError:
                        pass
            time.sleep(0.3)
        for t in threads:
            t.join()
        assert kills >= 4, "the test must really kill processes (%d kills)" % kills
        assert len(accepted) >= TOTAL * 0.95, (len(accepted), errors[:5])
        inst.run("flush", check=False)

        def delivered():
            return inst.maildir_message_ids("bob")
        wait_for("all accepted messages delivered",
                 lambda: set(delivered()) >= accepted, timeout=180, interval=0.5)
        ids = delivered()
        dups = len(ids) - len(set(ids))
        # Maildir names are derived from queue ID and recipient, so even the
        # delivery in flight at a kill is not repeated.
        assert dups == 0, (dups, kills)
        print("accepted=%d delivered=%d duplicates=%d kills=%d" % (len(accepted), len(ids), dups, kills))
        assert not set(ids) - accepted - {None}


if __name__ == "__main__":
    main([test_kill_qmgr_and_local_under_load])
