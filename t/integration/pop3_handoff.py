#!/usr/bin/env python3
"""System-mode process model of pop3d: the login process (mail_owner)
hands each logged-in client to the post-login service pop3-session with
authd's one-time ticket; pop3-session redeems it, forks and serves the
mailbox as the user. Plaintext clients cross as a socket (SCM_RIGHTS), TLS
clients through the login process's proxy. The uid switch itself needs
root: that test runs only when the suite runs as root and says so
otherwise."""
import os
import poplib
import pwd
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for  # noqa: E402
from pop3_common import make_instance, tls_context, deliver, password  # noqa: E402

SERVICE = "pop3-session   unix  -      n      n      -      -      pop3-session\n"


def with_handoff(fmt, before_start=None):
    def setup(inst):
        with open(inst.path("master.cf"), "a") as f:
            f.write(SERVICE)
        if before_start:
            before_start(inst)
    return make_instance(fmt, ["pop3d_session_service=pop3-session"], setup=setup)


def test_handoff_plain_tls_and_pipelining():
    with with_handoff("maildir") as inst:
        deliver(inst, "alice", "handed off", "over the hand-off\r\n")
        deliver(inst, "alice", "second")
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.user("alice")
        p.pass_(password("alice"))
        assert p.stat()[0] == 2
        bodies = [b"\r\n".join(p.retr(i)[1]) for i in (1, 2)]
        assert any(b"over the hand-off" in b for b in bodies), bodies
        p.dele(2)
        p.quit()

        # TLS: pop3d keeps the TLS session and relays for pop3-session.
        p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=tls_context(inst), timeout=20)
        p.user("alice")
        p.pass_(password("alice"))
        assert p.stat()[0] == 1
        _, uidl, _ = p.uidl()
        assert len(uidl) == 1
        p.quit()

        # Commands pipelined behind PASS travel with the hand-off.
        s = socket.create_connection(("127.0.0.1", inst.pop3_port), timeout=20)
        f = s.makefile("rb")
        assert f.readline().startswith(b"+OK")
        s.sendall(b"USER alice\r\nPASS " + password("alice").encode() + b"\r\nSTAT\r\nQUIT\r\n")
        replies = [f.readline() for _ in range(4)]
        assert replies[1] == b"+OK Logged in.\r\n", replies
        assert replies[2].startswith(b"+OK 1 "), replies
        assert replies[3] == b"+OK Logging out.\r\n", replies
        s.close()

        log = inst.wait_log("pop3-session", "reason=Logged out")  # logged after the last reply
        assert "authd refused the ticket" not in log, log[-3000:]


def test_handoff_runs_as_the_user():
    if os.geteuid() != 0:
        print("SKIP: test_handoff_runs_as_the_user needs root (the uid switch); running as uid %d" % os.geteuid())
        return
    uid = 47000 + os.getpid() % 1000
    try:
        pwd.getpwuid(uid)
        print("SKIP: test_handoff_runs_as_the_user: uid %d is taken on this machine" % uid)
        return
    except KeyError:
        pass

    def add_dave(inst):
        home = inst.path("home", "dave")
        os.makedirs(home, exist_ok=True)
        os.chown(home, uid, uid)
        os.chmod(home, 0o700)
        with open(inst.path("passwd")) as f:
            alice = [l for l in f if l.startswith("alice:")][0].split(":")
        with open(inst.path("passwd"), "a") as f:
            f.write("dave:%s:%d:%d::%s::\n" % (alice[1], uid, uid, home))

    with with_handoff("maildir", add_dave) as inst:
        deliver(inst, "dave", "for dave")
        maildir = inst.path("home", "dave", "Maildir")
        assert os.stat(maildir).st_uid == uid
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        p.user("dave")
        p.pass_(password("alice"))  # dave got alice's hash
        assert p.stat()[0] == 1
        # While the session is open: the process serving it runs as dave,
        # the login processes as the instance's mail_owner, none as root.
        sessions = [pid for pid in inst.pids("pop3-session") if os.stat("/proc/%d" % pid).st_uid == uid]
        assert sessions, [(pid, os.stat("/proc/%d" % pid).st_uid) for pid in inst.pids("pop3-session")]
        with open(inst.path("main.cf")) as f:
            name = [l.split("=", 1)[1].strip() for l in f if l.startswith("mail_owner")][0]
        owner = pwd.getpwnam(name).pw_uid
        for pid in inst.pids("pop3d"):
            assert os.stat("/proc/%d" % pid).st_uid == owner, pid
        p.quit()
        wait_for("session logged", lambda: "user=<dave>, rip=127.0.0.1, reason=Logged out" in inst.maillog())


if __name__ == "__main__":
    main([test_handoff_plain_tls_and_pipelining, test_handoff_runs_as_the_user])
