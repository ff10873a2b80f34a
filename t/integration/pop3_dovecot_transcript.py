#!/usr/bin/env python3
"""The same POP3 session, command for command, against our pop3d and a
private Dovecot 2.3 pop3d (bench/peers/dovecot) serving byte-identical
Maildirs: every reply must match Dovecot's, multi-line bodies included,
after masking only what differs by design (the server name, the user and
password, the UIDVALIDITY half of each UIDL, the CAPA lines of features
one side has configured: STLS, SASL, IMPLEMENTATION).

Dovecot's master needs root: run as another user the test is skipped
(exit 77); CI runs it as root."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import main, wait_for, port_free  # noqa: E402
from pop3_common import make_instance, deliver, password  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers", "dovecot")
PASSWORDS = (password("alice").encode(), b"bench-pw-1")
MULTILINE = {"CAPA", "LIST", "UIDL", "RETR", "TOP"}  # multi-line on +OK (LIST/UIDL without argument)

# One session: AUTHORIZATION mistakes, then every TRANSACTION command with
# good and bad arguments, and an RSET so that the QUIT deletes nothing.
SESSION = [
    "CAPA", "PASS x", "USER", "STAT", "FOOBAR", "USER {user}", "PASS wrong", "USER {user}", "PASS {password}",
    "STAT", "LIST", "LIST 2", "LIST 9", "LIST 0", "LIST abc", "LIST 1 2", "UIDL", "UIDL 3", "UIDL 4", "UIDL 0",
    "RETR 1", "TOP 2 0", "TOP 2 1", "TOP 3", "TOP 3 x", "TOP 3 2x", "TOP", "RETR 3", "RETR 1x", "RETR 1 2",
    "RETR 99999999999999", "DELE 1", "DELE 1", "RETR 1", "LIST 1", "DELE", "DELE 2 3",
    "UIDL", "STAT", "STAT 1", "RSET", "STAT", "NOOP", "NOOP 1", "XYZZY", "xyzzy 1", "LAST", "RETR",
    "USER {user}", "PASS x", "APOP a b", "AUTH PLAIN", "CAPA", "QUIT",
]
# Where we answer differently on purpose: command -> (ours, Dovecot's).
# RFC 1939 gives USER a required name; Dovecot says +OK to a bare USER and
# fails the PASS after it.
DEVIATIONS = {"USER": (b"-ERR Wrong number of arguments.\r\n", b"+OK\r\n")}
# A second session that deletes: the UPDATE state's reply.
DELETING = ["USER {user}", "PASS {password}", "DELE 2", "QUIT"]
AFTER = ["USER {user}", "PASS {password}", "STAT", "UIDL", "QUIT"]


def talk(port, commands, user, pw):
    """Runs commands one at a time; returns the greeting and, per command,
    its complete reply as bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    out = [f.readline()]
    for c in commands:
        line = c.format(user=user, password=pw)
        s.sendall(line.encode() + b"\r\n")
        reply = f.readline()
        verb, _, arg = line.partition(" ")
        if reply.startswith(b"+OK") and verb in MULTILINE and not (verb in ("LIST", "UIDL") and arg):
            while True:
                more = f.readline()
                if not more:
                    raise AssertionError("connection closed inside the reply to " + line)
                reply += more
                if more == b".\r\n":
                    break
        out.append(reply)
    s.close()
    return out


def normalize(replies):
    """The same masks on both sides (the messages themselves name alice and
    Buzon, since our smtpd and local delivered them)."""
    out = []
    for r in replies:
        r = r.replace(b"Dovecot (Debian) ready.", b"SERVER ready.").replace(b"Buzon ready.", b"SERVER ready.")
        for word, mask in ((b"alice", b"USER"), (b"user1", b"USER"), (PASSWORDS[0], b"PASSWORD"),
                           (PASSWORDS[1], b"PASSWORD")):
            r = r.replace(word, mask)
        # Dovecot's UIDL is %08Xu%08Xv: keep the UID, mask the UIDVALIDITY.
        r = re.sub(rb"\b([0-9a-f]{8})[0-9a-f]{8}\r\n", rb"\1VVVVVVVV\r\n", r)
        if r.startswith(b"+OK\r\nCAPA\r\n"):
            lines = [l for l in r.split(b"\r\n") if not re.match(rb"^(STLS|SASL|IMPLEMENTATION)\b", l)]
            r = b"\r\n".join(lines)
        out.append(r)
    return out


def compare(label, commands, ours, theirs):
    assert len(ours) == len(theirs)
    diffs = []
    for cmd, a, b in zip(["(greeting)"] + commands, ours, theirs):
        if (a, b) != DEVIATIONS.get(cmd, (b, b)):
            diffs.append("%s\n  buzon:   %r\n  dovecot: %r" % (cmd, a[:400], b[:400]))
    assert not diffs, "%s: %d replies differ from Dovecot's:\n%s" % (label, len(diffs), "\n".join(diffs))


def test_transcript_matches_dovecot():
    if os.geteuid() != 0:
        print("SKIP: Dovecot's master needs root")
        sys.exit(77)
    subprocess.run([PEER, "install"], check=True)
    with make_instance("maildir") as inst:
        deliver(inst, "alice", "first", "one line\r\n")
        deliver(inst, "alice", "second", "line 1\r\n.starts with a dot\r\n..two dots\r\nline 4\r\n")
        deliver(inst, "alice", "third", "".join("body line %d\r\n" % i for i in range(50)))
        new = inst.path("home", "alice", "Maildir", "new")
        names = sorted(os.listdir(new))
        assert len(names) == 3, names

        tmp = tempfile.mkdtemp(prefix="buzon-it-dovecot-")
        try:
            port = next(p for p in range(inst.port_base + 300, inst.port_base + 400) if port_free(p))
            subprocess.run([PEER, "setup", tmp, str(port), "1"], check=True)
            owner = subprocess.run([PEER, "owner", tmp], check=True, capture_output=True, text=True).stdout.strip()
            uid, gid = (int(x) for x in owner.split(":"))
            maildir = os.path.join(tmp, "home", "user1", "Maildir")
            for sub in ("new", "cur", "tmp"):
                os.makedirs(os.path.join(maildir, sub))
            for n in names:
                shutil.copy2(os.path.join(new, n), os.path.join(maildir, "new", n))
            for root, dirs, files in os.walk(maildir):
                for x in [root] + [os.path.join(root, y) for y in files]:
                    os.chown(x, uid, gid)
            subprocess.run([PEER, "start", tmp], check=True)
            try:
                for label, commands in (("session", SESSION), ("deleting session", DELETING), ("after", AFTER)):
                    ours = talk(inst.pop3_port, commands, "alice", password("alice"))
                    theirs = talk(port, commands, "user1", "bench-pw-1")
                    compare(label, commands, normalize(ours), normalize(theirs))
            finally:
                subprocess.run([PEER, "stop", tmp])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        wait_for("the sessions in our log", lambda: inst.maillog().count("Disconnected: ") >= 3)


if __name__ == "__main__":
    main([test_transcript_matches_dovecot])
