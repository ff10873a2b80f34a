#!/usr/bin/env python3
"""2,000 SMTP clients connect at once, say EHLO and stay idle: every one
gets its greeting and EHLO reply (smtpd serves many sessions per process and
master starts more processes), and one more client is still served at once.
A burst like this once overflowed the listen backlog: the kernel's SYN
cookies then left most clients waiting for a greeting that never came."""
import os
import resource
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main  # noqa: E402

SESSIONS = 2000


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def test_2000_idle_sessions():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = SESSIONS + 200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    n = min(SESSIONS, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 200)
    assert n >= 1000, "file descriptor limit too low for this test: %d" % n
    with Instance() as inst:
        inst.start()
        sel = selectors.DefaultSelector()
        state = {}
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", inst.smtp_port))
            state[s] = [b"", 0]  # received bytes; 0 waiting for 220, 1 for the EHLO reply, 2 idle
            sel.register(s, selectors.EVENT_READ)
        idle = 0
        deadline = time.monotonic() + 40
        try:
            while idle < n and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=0.5):
                    s = key.fileobj
                    try:
                        data = s.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    assert data, "a session was closed by the server"
                    st = state[s]
                    st[0] += data
                    if st[1] == 0 and st[0].endswith(b"\r\n"):
                        assert st[0].startswith(b"220 "), st[0]
                        st[0], st[1] = b"", 1
                        s.sendall(b"EHLO idle.example\r\n")
                    elif st[1] == 1 and (b"\r\n" + st[0]).rfind(b"\r\n250 ") >= 0 and st[0].endswith(b"\r\n"):
                        st[1] = 2
                        idle += 1
            assert idle == n, "only %d of %d sessions got their greeting and EHLO reply" % (idle, n)
            pids = inst.pids("smtpd")
            rss = sum(rss_kib(p) for p in pids)
            print("%d idle sessions: %d smtpd processes, %d KiB RSS in all" % (n, len(pids), rss))
            t0 = time.monotonic()
            with socket.create_connection(("127.0.0.1", inst.smtp_port), timeout=10) as extra:
                assert extra.recv(100).startswith(b"220 ")
            assert time.monotonic() - t0 < 5
        finally:
            for s in state:
                s.close()


if __name__ == "__main__":
    main([test_2000_idle_sessions])
