#!/usr/bin/env python3
"""DATA ends only at <CRLF>.<CRLF>: bytes after <LF>.<LF>, <CR>.<CR> or
<LF>.<CRLF> never become a second message (SMTP smuggling), in both
smtpd_forbid_bare_newline modes; pipelined commands get their replies."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402


def talk(port, payload, expect_replies):
    """Sends payload in one write, returns the reply lines once
    expect_replies final replies arrived (or the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    banner = f.readline()
    assert banner.startswith(b"220 "), banner
    s.sendall(payload)
    lines, finals = [], 0
    while finals < expect_replies:
        line = f.readline()
        if not line:
            break
        lines.append(line.decode())
        if line[3:4] == b" ":
            finals += 1
    s.close()
    return lines


SMUGGLE = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n"]


def smuggle_payload(seq):
    return (b"EHLO attacker.example\r\nMAIL FROM:<alice@example.test>\r\n"
            b"RCPT TO:<bob@example.test>\r\nDATA\r\n"
            b"Subject: outer\r\n\r\nouter body" + seq +
            b"MAIL FROM:<admin@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\ninner\r\n.\r\nQUIT\r\n")


def test_smuggling_normalize():
    with Instance() as inst:
        inst.start()
        for seq in SMUGGLE:
            lines = talk(inst.smtp_port, smuggle_payload(seq), 6)
            finals = [l for l in lines if l[3] == " "]
            # EHLO, MAIL, RCPT, 354, the one 250 for the whole message, 221
            assert [l[:3] for l in finals] == ["250", "250", "250", "354", "250", "221"], (seq, lines)
        wait_for("deliveries", lambda: len(split_mbox(inst.read_mbox("bob"))) == len(SMUGGLE))
        inst.wait_queue_empty()
        assert inst.read_mbox("alice") == b"", "a smuggled message was delivered"
        for msg in split_mbox(inst.read_mbox("bob")):
            assert b"Subject: smuggled" in msg and b"outer body" in msg


def test_smuggling_reject():
    with Instance() as inst:
        inst.run("conf", "-e", "smtpd_forbid_bare_newline=reject")
        inst.start()
        lines = talk(inst.smtp_port, smuggle_payload(b"\n.\n"), 6)
        finals = [l for l in lines if l[3] == " "]
        assert finals[4].startswith("550 5.5.2"), lines
        # A clean message still goes through.
        lines = talk(inst.smtp_port, b"HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n"
                     b"DATA\r\nSubject: clean\r\n\r\nok\r\n.\r\nQUIT\r\n", 6)
        assert lines[4].startswith("250 2.0.0"), lines
        wait_for("delivery", lambda: b"Subject: clean" in inst.read_mbox("bob"))
        inst.wait_queue_empty()
        assert b"smuggled" not in inst.read_mbox("bob") + inst.read_mbox("alice")


def test_pipelining_and_dot_unstuffing():
    with Instance() as inst:
        inst.start()
        payload = (b"EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
                   b"RCPT TO:<bob@example.test>\r\nDATA\r\nSubject: p\r\n\r\n..stuffed\r\n.\r\nQUIT\r\n")
        lines = talk(inst.smtp_port, payload, 7)
        finals = [l[:3] for l in lines if l[3] == " "]
        assert finals == ["250", "250", "550", "250", "354", "250", "221"], lines
        data = wait_for("delivery", lambda: inst.read_mbox("bob"))
        assert b"\n.stuffed\n" in data and b"..stuffed" not in data


if __name__ == "__main__":
    main([test_smuggling_normalize, test_smuggling_reject, test_pipelining_and_dot_unstuffing])
