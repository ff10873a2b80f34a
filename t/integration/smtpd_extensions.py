#!/usr/bin/env python3
"""smtpd's ESMTP extensions through a real instance, with smtplib, swaks and
raw sockets: PIPELINING (one write per group), CHUNKING/BDAT (with BDAT 0
LAST), SIZE refusals, DSN parameters stored in the queue file, SMTPUTF8,
the hop count loop check, Bcc removal and the Received: header."""
import os
import re
import select
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402


class Raw:
    """A client on a plain socket, for what smtplib cannot send."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        assert self.line().startswith(b"220 ")

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise AssertionError("connection closed; have %r" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def replies(self, n):
        """The next n final replies, continuation lines folded in."""
        out, cur = [], []
        while len(out) < n:
            line = self.line()
            cur.append(line.decode("utf-8", "replace"))
            if line[3:4] != b"-":
                out.append("\n".join(cur))
                cur = []
        return out

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        self.s.close()


def codes(replies):
    return [r.splitlines()[-1][:3] for r in replies]


def delivered(inst, user, n=1):
    return wait_for("%d message(s) for %s" % (n, user),
                    lambda: (lambda m: m if len(m) >= n else None)(split_mbox(inst.read_mbox(user))))


def test_pipelining_one_write():
    with Instance(add_missing_headers=False) as inst:
        inst.start()
        c = Raw(inst.smtp_port)
        c.send(b"EHLO client.example.test\r\n")
        ehlo = c.replies(1)[0]
        for kw in ("PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8",
                   "CHUNKING"):
            assert "\n250-" + kw in ehlo or "\n250 " + kw in ehlo, ehlo
        # One group, one write; the bad recipient does not derail the rest.
        c.send(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
               b"RCPT TO:<bob@example.test>\r\nDATA\r\n")
        # All four replies are in the first segment the server wrote.
        assert select.select([c.s], [], [], 10)[0]
        first = c.s.recv(65536)
        assert first.count(b"\r\n") == 4, first
        c.buf = first
        assert codes(c.replies(4)) == ["250", "550", "250", "354"]
        c.send(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        r = c.replies(2)
        assert r[0].startswith("250 2.0.0 Ok: queued as "), r
        assert r[1].startswith("221"), r
        c.close()
        msgs = delivered(inst, "bob")
        assert b"Subject: pipelined\n\nbody\n" in msgs[0]


def test_swaks_pipelining():
    with Instance() as inst:
        inst.start()
        p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.smtp_port, "--pipeline",
                            "--to", "alice@example.test", "--from", "bob@example.test",
                            "--header", "Subject: swaks pipelined"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "250 2.0.0 Ok: queued as" in p.stdout, p.stdout
        assert b"Subject: swaks pipelined" in delivered(inst, "alice")[0]


def test_bdat_chunks_and_zero_last():
    with Instance(add_missing_headers=False) as inst:
        inst.start()
        c = Raw(inst.smtp_port)
        c.send(b"EHLO client.example.test\r\n")
        c.replies(1)
        one = b"Subject: chunks\r\n\r\n.a leading dot\r\n.\r"
        two = b"\nafter a lone dot, bare\rCR\r\n"
        c.send(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n" +
               b"BDAT %d\r\n" % len(one) + one + b"BDAT %d\r\n" % len(two) + two + b"BDAT 0 LAST\r\n")
        r = c.replies(5)
        assert r[:4] == ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok: %d bytes" % len(one),
                         "250 2.0.0 Ok: %d bytes" % len(two)], r
        assert r[4].startswith("250 2.0.0 Ok: %d bytes queued as " % (len(one) + len(two))), r
        # Sequence errors: DATA inside a BDAT transaction, BDAT without MAIL.
        c.send(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nBDAT 3\r\nabcDATA\r\nRSET\r\n"
               b"BDAT 2 LAST\r\nxyQUIT\r\n")
        assert c.replies(7) == ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok: 3 bytes",
                                "503 5.5.1 Error: DATA after BDAT", "250 2.0.0 Ok",
                                "503 5.5.1 Error: need RCPT command", "221 2.0.0 Bye"]
        c.close()
        msg = delivered(inst, "bob")[0]
        assert msg.endswith(b"Subject: chunks\n\n.a leading dot\n.\nafter a lone dot, bare\rCR\n\n"), msg
        inst.wait_queue_empty()
        assert len(split_mbox(inst.read_mbox("bob"))) == 1


def test_size_limits():
    with Instance() as inst:
        inst.run("conf", "-e", "message_size_limit=2000")
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.test")
            assert s.has_extn("size") and s.esmtp_features["size"] == "2000"
            code, msg = s.mail("alice@example.test", ["SIZE=2001"])
            assert (code, msg) == (552, b"5.3.4 Message size exceeds fixed limit"), (code, msg)
            s.rset()
            # No SIZE= this time: the limit is enforced during DATA.
            assert s.mail("alice@example.test")[0] == 250
            assert s.rcpt("bob@example.test")[0] == 250
            code, msg = s.data("Subject: big\r\n\r\n" + "x" * 3000)
            assert (code, msg) == (552, b"5.3.4 Error: message file too big"), (code, msg)
        c = Raw(inst.smtp_port)
        c.send(b"EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
               b"BDAT 1500\r\n" + b"y" * 1500 + b"BDAT 501 LAST\r\n" + b"z" * 501 + b"NOOP\r\n")
        r = c.replies(6)
        assert r[3:] == ["250 2.0.0 Ok: 1500 bytes", "552 5.3.4 Chunk exceeds message size limit",
                         "250 2.0.0 Ok"], r
        c.close()
        assert not inst.queue_files()


def queue_records(path):
    """The envelope records of a queue file: [(type, data)] up to M."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while True:
        colon = data.index(b":", pos)
        kind, length = chr(data[pos]), int(data[pos + 1:colon])
        value = data[colon + 1:colon + 1 + length]
        out.append((kind, value.decode()))
        pos = colon + 1 + length + 1
        if kind == "M":
            return out


def test_dsn_parameters_stored():
    with Instance() as inst:
        # No qmgr: the message stays in incoming/ where the test reads it.
        mcf = inst.path("master.cf")
        with open(mcf) as f:
            lines = [l for l in f if not l.startswith("qmgr")]
        with open(mcf, "w") as f:
            f.writelines(lines)
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.test")
            assert s.has_extn("dsn")
            s.sendmail("alice@example.test", ["bob@example.test", "alice@example.test"],
                       "Subject: dsn\r\n\r\nx\r\n", mail_options=["RET=HDRS", "ENVID=QQ+2B314"],
                       rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Bob+2Bext@example.test"])
            code, msg = s.docmd("MAIL FROM:<alice@example.test> RET=EVERYTHING")
            assert (code, msg) == (501, b"5.5.4 Bad RET parameter syntax"), (code, msg)
            s.rset()
            s.mail("alice@example.test")
            code, msg = s.rcpt("bob@example.test", ["NOTIFY=NEVER,DELAY"])
            assert (code, msg) == (501, b"5.5.4 Error: Bad NOTIFY parameter syntax"), (code, msg)
            code, msg = s.rcpt("bob@example.test", ["ORCPT=rfc822;bad+Z1"])
            assert (code, msg) == (501, b"5.5.4 Error: Bad ORCPT parameter syntax"), (code, msg)
        files = wait_for("queue file", lambda: os.listdir(inst.path("queue", "incoming")))
        assert len(files) == 1, files
        recs = queue_records(inst.path("queue", "incoming", files[0]))
        assert ("A", "dsn_envid=QQ+314") in recs, recs
        assert ("A", "dsn_ret=HDRS") in recs, recs
        rcpts = [(k, v) for k, v in recs if k in "NPR"]
        # Both recipients got the same options from smtplib.
        assert rcpts == [("N", "SUCCESS,FAILURE"), ("P", "rfc822;Bob+ext@example.test"), ("R", "bob@example.test"),
                         ("N", "SUCCESS,FAILURE"), ("P", "rfc822;Bob+ext@example.test"),
                         ("R", "alice@example.test")], rcpts


def test_smtputf8():
    with Instance(add_missing_headers=False) as inst:
        inst.start()
        sender = "jörg@bücher.example"
        msg = "From: jörg@bücher.example\r\nSubject: grüße\r\n\r\nÜmlaut body\r\n".encode()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.test")
            assert s.has_extn("smtputf8")
            s.command_encoding = "utf-8"
            code, reply = s.mail(sender)
            assert (code, reply) == (553, b"5.6.7 Must declare SMTPUTF8 to send unicode address"), (code, reply)
            s.rset()
            assert s.sendmail(sender, ["bob@example.test"], msg, mail_options=["SMTPUTF8"]) == {}
        got = delivered(inst, "bob")[0]
        assert "Return-Path: <jörg@bücher.example>".encode() in got, got
        assert re.search(rb"\tby [^ ]+ \(Buzon\) with UTF8SMTP id [0-9A-F]{17}\n", got), got
        assert "Subject: grüße\n\nÜmlaut body\n".encode() in got


def test_hop_count_bcc_and_received():
    with Instance(add_missing_headers=False) as inst:
        inst.start()
        loop = "".join("Received: from hop%d.example by relay.example; Sun, 29 Nov 2026 04:00:00 +0000\r\n" % i
                       for i in range(49))
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.test")
            try:
                s.sendmail("alice@example.test", ["bob@example.test"], loop + "Subject: loop\r\n\r\nx\r\n")
                raise AssertionError("a looping message was accepted")
            except smtplib.SMTPDataError as e:
                assert (e.smtp_code, e.smtp_error) == (554, b"5.4.0 Error: too many hops"), e
            # 48 earlier hops plus ours stay under hopcount_limit (50).
            s.sendmail("alice@example.test", ["bob@example.test"],
                       loop[loop.index("\r\n") + 2:] + "To: bob@example.test\r\nBcc: secret@example.test,\r\n"
                       " other@example.test\r\nSubject: not a loop\r\n\r\nBcc: in the body\r\n")
        assert re.search(r"NOQUEUE: reject: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: 554 5\.4\.0 Error: too many hops|"
                         r"[0-9A-F]{17}: reject: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: 554 5\.4\.0 Error: too many hops",
                         inst.maillog()), inst.maillog()
        msg = delivered(inst, "bob")[0]
        assert b"Subject: not a loop" in msg
        assert b"Bcc: secret" not in msg and b"other@example.test" not in msg, msg
        assert msg.endswith(b"To: bob@example.test\nSubject: not a loop\n\nBcc: in the body\n\n"), msg
        # Received: from HELO (name [addr]) by host (Buzon) with ESMTP id ID for <rcpt>; RFC 5322 date
        assert re.search(rb"\nReceived: from client\.example\.test \(unknown \[127\.0\.0\.1\]\)\n"
                         rb"\tby [a-z0-9.-]+ \(Buzon\) with ESMTP id [0-9A-F]{17}\n"
                         rb"\tfor <bob@example\.test>; [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} "
                         rb"[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\nReceived: from hop1\.example", msg), msg[:400]


def test_error_limits():
    with Instance() as inst:
        for kv in ("smtpd_soft_error_limit=1", "smtpd_error_sleep_time=1s", "smtpd_hard_error_limit=3",
                   "smtpd_junk_command_limit=3"):
            inst.run("conf", "-e", kv)
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10)
        s.ehlo("client.example.test")
        for _ in range(2):
            assert s.docmd("XYZZY")[0] == 500
        # More than smtpd_soft_error_limit errors: replies come a second late
        # (t/smtpd/connection_test checks that other sessions are not held up).
        t0 = time.monotonic()
        assert s.noop()[0] == 250  # junk 1
        assert time.monotonic() - t0 >= 0.9
        assert s.noop()[0] == 250  # junk 2
        assert s.rset()[0] == 250  # junk 3
        # The fourth junk command is the third error: smtpd_hard_error_limit.
        code, msg = s.docmd("NOOP")
        assert code == 250, (code, msg)
        code, msg = s.getreply()
        assert code == 421 and msg.startswith(b"4.7.0 ") and msg.endswith(b" Error: too many errors"), (code, msg)
        s.close()
        log = inst.maillog()
        assert re.search(r"too many errors after NOOP from unknown\[127\.0\.0\.1\]\n", log), log
        assert "replies delayed by smtpd_error_sleep_time" in log, log


if __name__ == "__main__":
    main([test_pipelining_one_write, test_swaks_pipelining, test_bdat_chunks_and_zero_last, test_size_limits,
          test_dsn_parameters_stored, test_smtputf8, test_hop_count_bcc_and_received, test_error_limits])
