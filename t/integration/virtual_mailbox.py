#!/usr/bin/env python3
"""Virtual mailbox domains as Postfix has them (virtual(8)): two domains
with a hash: virtual_mailbox_maps built by "buzon map", a Maildir and an
mbox target, an @domain catch-all, a virtual alias pointing into a virtual
mailbox domain; smtpd refuses unknown users at RCPT (550 5.1.1 "User
unknown in virtual mailbox table") and relays for nobody while accepting
the virtual domains; deliveries are checked byte for byte and logged with
relay=virtual; an mbox over virtual_mailbox_limit bounces 5.2.2; a
domain in both mydestination and virtual_mailbox_domains stays local with
Postfix's warning. Real client: smtplib."""
import email
import email.policy
import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox, read_file  # noqa: E402

SENDER = "alice@example.test"


def message(subject, body="hello\n"):
    return "From: %s\nSubject: %s\n\n%s" % (SENDER, subject, body)


def send(inst, rcpts, subject, body="hello\n"):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        s.sendmail(SENDER, rcpts, message(subject, body))


def maildir_files(inst, *parts):
    d = inst.path("vmail", *parts, "new")
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out.append(f.read())
    return out


def check_delivered(data, rcpt, subject, body="hello\n"):
    """The delivered bytes: Return-Path, Delivered-To, smtpd's Received
    header (its text varies), then the message exactly as sent."""
    head = ("Return-Path: <%s>\nDelivered-To: %s\n" % (SENDER, rcpt)).encode()
    assert data.startswith(head + b"Received: "), data[:200]
    rest = data[len(head):]
    lines = rest.split(b"\n")
    i = 1
    while lines[i].startswith((b" ", b"\t")):
        i += 1
    assert b"\n".join(lines[i:]) == message(subject, body).encode(), rest


def test_virtual_mailbox():
    with Instance(users=("alice", "bob"), add_missing_headers=False) as inst:
        st = os.stat(inst.path("mail"))  # owned by the instance account, which delivers
        os.makedirs(inst.path("vmail", "virt.example"))
        for p in (inst.path("vmail"), inst.path("vmail", "virt.example")):
            os.chown(p, st.st_uid, st.st_gid)
        with open(inst.path("vmailbox"), "w") as f:
            f.write("bob@virt.example     virt.example/bob/\n"
                    "carol@virt.example   virt.example/carol\n"
                    "@other.example       other.example/catchall/\n")
        with open(inst.path("virtual"), "w") as f:
            f.write("alias.example        anything\n"
                    "sales@alias.example  bob@virt.example\n")
        inst.run("map", "hash:" + inst.path("vmailbox"))
        inst.run("map", "hash:" + inst.path("virtual"))
        inst.run("conf", "-e",
                 "virtual_mailbox_domains=virt.example, other.example, both.example",
                 "virtual_mailbox_maps=hash:" + inst.path("vmailbox"),
                 "virtual_mailbox_base=" + inst.path("vmail"),
                 "virtual_uid_maps=static:%d" % st.st_uid,
                 "virtual_gid_maps=static:%d" % st.st_gid,
                 "virtual_alias_maps=hash:" + inst.path("virtual"),
                 "mydestination=$myhostname, localhost, $mydomain, both.example",
                 # 127.0.0.1 is no trusted network: relay control applies.
                 "mynetworks=192.0.2.0/24",
                 "message_size_limit=5000", "virtual_mailbox_limit=5000")
        inst.start()

        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail(SENDER)
            code, msg = s.rcpt("nobody@virt.example")
            assert code == 550, (code, msg)
            assert msg == (b"5.1.1 <nobody@virt.example>: Recipient address rejected: "
                           b"User unknown in virtual mailbox table"), msg
            for ok in ("Bob@Virt.Example", "carol@virt.example", "anyone@other.example", "sales@alias.example"):
                code, msg = s.rcpt(ok)
                assert code == 250, (ok, code, msg)
            code, msg = s.rcpt("someone@elsewhere.example")
            assert code == 454 and b"Relay access denied" in msg, (code, msg)  # defer_unauth_destination
            s.rset()

        send(inst, ["bob@virt.example", "carol@virt.example"], "direct")
        send(inst, ["anyone@other.example"], "catch-all")
        send(inst, ["sales@alias.example"], "via alias")
        send(inst, ["alice@both.example"], "overlap")
        wait_for("deliveries", lambda: len(maildir_files(inst, "virt.example", "bob")) == 2
                 and len(maildir_files(inst, "other.example", "catchall")) == 1
                 # virtual(8) creates the mbox before it locks and writes it.
                 and split_mbox(read_file(inst.path("vmail", "virt.example", "carol")))
                 and split_mbox(inst.read_mbox("alice")), timeout=30)

        bob = sorted(maildir_files(inst, "virt.example", "bob"), key=lambda m: b"via alias" in m)
        check_delivered(bob[0], "bob@virt.example", "direct")
        check_delivered(bob[1], "bob@virt.example", "via alias")
        check_delivered(maildir_files(inst, "other.example", "catchall")[0], "anyone@other.example", "catch-all")
        with open(inst.path("vmail", "virt.example", "carol"), "rb") as f:
            mbox = f.read()
        assert mbox.startswith(b"From alice@example.test "), mbox[:80]
        msgs = split_mbox(mbox)
        assert len(msgs) == 1 and mbox.endswith(b"\n\n"), mbox
        check_delivered(msgs[0][:-1], "carol@virt.example", "direct")  # without the mbox separator line
        assert os.stat(inst.path("vmail", "virt.example", "carol")).st_uid == st.st_uid

        wait_for("log lines", lambda: "to=<alice@both.example>, relay=local," in inst.maillog()
                 and inst.maillog().count("relay=virtual,") >= 4, timeout=30)
        log = inst.maillog()
        for rcpt in ("bob@virt.example", "carol@virt.example", "anyone@other.example"):
            assert ("to=<%s>, relay=virtual, delay=" % rcpt) in log, log[-3000:]
        assert "to=<bob@virt.example>, orig_to=<sales@alias.example>, relay=virtual," in log, log[-3000:]
        assert "dsn=2.0.0, status=sent (delivered to maildir)" in log
        assert "dsn=2.0.0, status=sent (delivered to mailbox)" in log
        # mydestination wins, with Postfix's warning.
        assert "to=<alice@both.example>, relay=local," in log, log[-3000:]
        assert "warning: do not list domain both.example in BOTH mydestination and virtual_mailbox_domains" in log

        # carol's mbox holds ~600 bytes: 4.7 KB more is over virtual_mailbox_limit
        # (a Maildir's limit is per message file, as Postfix's).
        send(inst, ["carol@virt.example"], "too big", "x" * 60 + "\n" + ("y" * 60 + "\n") * 72)

        def bounces():
            return [email.message_from_bytes(m, policy=email.policy.default)
                    for m in split_mbox(inst.read_mbox("alice")) if b"delivery-status" in m]
        wait_for("bounce", lambda: bounces(), timeout=30)
        status = [p for p in bounces()[0].walk() if p.get_content_type() == "message/delivery-status"][0]
        fields = status.get_payload()[1]
        assert fields["Final-Recipient"] == "rfc822; carol@virt.example", str(fields)
        assert fields["Status"] == "5.2.2" and "mailbox full" in fields["Diagnostic-Code"], str(fields)
        with open(inst.path("vmail", "virt.example", "carol"), "rb") as f:
            assert b"too big" not in f.read()
        assert len(maildir_files(inst, "virt.example", "bob")) == 2
        assert "to=<carol@virt.example>, relay=virtual" in inst.maillog()
        inst.wait_queue_empty()


if __name__ == "__main__":
    main([test_virtual_mailbox])
