#!/usr/bin/env python3
"""check_client_access, check_helo_access, check_sender_access and
check_recipient_access with cidr:, texthash: and hash: tables, as a client
outside mynetworks sees them (Postfix 3.7's replies and log lines), and the
access(5) actions that act on the whole message. The
client address varies over 127.0.0.0/8: Linux answers every loopback
address, and smtplib can bind the source address."""
import os
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, split_mbox, wait_for  # noqa: E402


def write(inst, name, text):
    path = inst.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def session(inst, source="127.0.0.1", helo="client.example.org"):
    s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10, source_address=(source, 0))
    s.ehlo(helo)
    return s


def rcpt(inst, sender, recipient, source="127.0.0.1", helo="client.example.org"):
    with session(inst, source, helo) as s:
        code, msg = s.docmd("MAIL FROM:<%s>" % sender)
        assert code == 250, (code, msg)
        code, msg = s.docmd("RCPT TO:<%s>" % recipient)
        return code, msg.decode()


def configure(inst):
    clients = write(inst, "clients.cidr", "# client networks\n127.0.0.2 REJECT cidr says no\n"
                    "127.0.0.3/32 DEFER_IF_PERMIT come back later\n127.0.0.4 DEFER_IF_REJECT\n"
                    "127.0.0.5 421 4.7.0 closing time\n127.0.0.6 FOOBAR\n")
    helos = write(inst, "helo_access", "spam.example 550 5.7.1 no spammers\nbad.example.org REJECT\n")
    senders = write(inst, "sender_access", "spammer@example.org REJECT\nexample.com 450 4.7.9 try tomorrow\n"
                    "watched.example WARN keep an eye on it\n<> OK\n")
    inst.run("map", "hash:" + senders)
    rcpts = write(inst, "rcpt_access", "bob@example.test REJECT bob is away\nlocked@ DEFER\n"
                  "alice+shop@example.test 552 5.2.2 mailbox full\n")
    inst.run("conf", "-e", "mynetworks=10.0.0.0/8")
    inst.run("conf", "-e", "recipient_delimiter=+")
    inst.run("conf", "-e", "smtpd_client_restrictions=check_client_access cidr:" + clients)
    inst.run("conf", "-e", "smtpd_helo_restrictions=check_helo_access texthash:" + helos)
    inst.run("conf", "-e", "smtpd_sender_restrictions=check_sender_access hash:" + senders)
    inst.run("conf", "-e", "smtpd_recipient_restrictions=check_recipient_access texthash:" + rcpts
             + ", reject_unlisted_recipient")


def test_access_tables():
    with Instance(users=("alice", "bob", "locked")) as inst:
        configure(inst)
        inst.start()
        ok = (250, "2.1.5 Ok")
        # Nothing matches: accepted.
        assert rcpt(inst, "a@example.org", "alice@example.test") == ok
        # cidr: client tables; smtpd_delay_reject: the refusal comes at RCPT.
        assert rcpt(inst, "a@example.org", "alice@example.test", source="127.0.0.2") == \
            (554, "5.7.1 <unknown[127.0.0.2]>: Client host rejected: cidr says no")
        assert rcpt(inst, "a@example.org", "alice@example.test", source="127.0.0.3") == \
            (450, "4.7.1 <unknown[127.0.0.3]>: Client host rejected: come back later")
        # DEFER_IF_REJECT: a later 5xx becomes the deferral; acceptance stays.
        assert rcpt(inst, "a@example.org", "bob@example.test", source="127.0.0.4") == \
            (450, "4.7.1 <unknown[127.0.0.4]>: Client host rejected: Access denied")
        assert rcpt(inst, "a@example.org", "alice@example.test", source="127.0.0.4") == ok
        assert rcpt(inst, "a@example.org", "alice@example.test", source="127.0.0.5") == \
            (421, "4.7.0 <unknown[127.0.0.5]>: Client host rejected: closing time")
        # A result that is neither an action nor a restriction.
        assert rcpt(inst, "a@example.org", "alice@example.test", source="127.0.0.6") == \
            (451, "4.3.5 Server configuration error")
        # texthash: HELO table, parent domains of the name match.
        assert rcpt(inst, "a@example.org", "alice@example.test", helo="mx1.Spam.Example") == \
            (550, "5.7.1 <mx1.Spam.Example>: Helo command rejected: no spammers")
        assert rcpt(inst, "a@example.org", "alice@example.test", helo="bad.example.org") == \
            (554, "5.7.1 <bad.example.org>: Helo command rejected: Access denied")
        # hash: sender table built by buzon map: full address, parent domain,
        # the null sender's lookup key.
        assert rcpt(inst, "Spammer@Example.org", "alice@example.test") == \
            (554, "5.7.1 <Spammer@Example.org>: Sender address rejected: Access denied")
        assert rcpt(inst, "x@sub.example.com", "alice@example.test") == \
            (450, "4.7.9 <x@sub.example.com>: Sender address rejected: try tomorrow")
        assert rcpt(inst, "", "alice@example.test") == ok
        assert rcpt(inst, "a@watched.example", "alice@example.test") == ok
        # texthash: recipient table: full address, address with extension,
        # user@ for every domain.
        assert rcpt(inst, "a@example.org", "bob@example.test") == \
            (554, "5.7.1 <bob@example.test>: Recipient address rejected: bob is away")
        assert rcpt(inst, "a@example.org", "alice+shop@example.test") == \
            (552, "5.2.2 <alice+shop@example.test>: Recipient address rejected: mailbox full")
        assert rcpt(inst, "a@example.org", "locked@example.test") == \
            (450, "4.7.1 <locked@example.test>: Recipient address rejected: Access denied")
        # swaks, a whole transaction refused at RCPT.
        p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.smtp_port, "--helo", "client.example.org",
                            "--from", "a@example.org", "--to", "bob@example.test"],
                           capture_output=True, text=True, timeout=30)
        assert "<** 554 5.7.1 <bob@example.test>: Recipient address rejected: bob is away" in p.stdout, p.stdout
        inst.stop()
        log = inst.maillog()
        for line in [
            "NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 554 5.7.1 <unknown[127.0.0.2]>: Client host rejected: "
            "cidr says no; from=<a@example.org> to=<alice@example.test> proto=ESMTP helo=<client.example.org>",
            "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <bob@example.test>: Recipient address "
            "rejected: bob is away; from=<a@example.org> to=<bob@example.test> proto=ESMTP helo=<client.example.org>",
            "NOQUEUE: warn: RCPT from unknown[127.0.0.1]: keep an eye on it; from=<a@watched.example> "
            "to=<alice@example.test> proto=ESMTP helo=<client.example.org>",
        ]:
            assert line in log, (line, log[-3000:])
        assert "unsupported access action" in log or "FOOBAR" in log, log[-3000:]


def test_hold_and_discard():
    # access(5) HOLD: queued on hold, delivered only when released.
    # DISCARD: the client hears "queued", nothing is kept or delivered.
    with Instance() as inst:
        senders = write(inst, "hold_access", "held.example HOLD\ntrap.example DISCARD spam trap\n")
        inst.run("conf", "-e", "smtpd_sender_restrictions=check_sender_access texthash:" + senders)
        inst.start()
        body = "Subject: %s\n\nbody\n"
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.ehlo("client.example.org")
            s.sendmail("a@held.example", ["alice@example.test"], body % "held")
            s.sendmail("b@trap.example", ["alice@example.test"], body % "dropped")
        held = [f for f in inst.queue_files() if f.startswith("hold/")]
        assert len(held) == 1, inst.queue_files()
        qid = held[0].split("/")[1]
        line = [l for l in inst.run("queue").stdout.split("\n") if l.startswith(qid)][0]
        assert line[len(qid)] == "!", line  # mailq marks held mail
        inst.run("queue", "requeue", qid)
        wait_for("the held message", lambda: b"Subject: held" in inst.read_mbox("alice"))
        inst.wait_queue_empty()
        inst.stop()
        log = inst.maillog()
        for part in [": hold: RCPT from unknown[127.0.0.1]: <a@held.example>: Sender address triggers HOLD action; "
                     "from=<a@held.example> to=<alice@example.test> proto=ESMTP helo=<client.example.org>",
                     ": discard: RCPT from unknown[127.0.0.1]: <b@trap.example>: Sender address spam trap; "
                     "from=<b@trap.example> to=<alice@example.test> proto=ESMTP helo=<client.example.org>"]:
            assert part in log, (part, log[-3000:])
        assert b"dropped" not in inst.read_mbox("alice")


def test_filter_redirect_bcc_prepend():
    # access(5) FILTER, REDIRECT, BCC and PREPEND, end to end. The filter
    # transport is a second local(8) service, "filt": FILTER must take
    # every recipient there, even one that transport_maps would bounce.
    with Instance(users=("alice", "bob", "carol", "dave")) as inst:
        senders = write(inst, "sender_access", "boss@client.example REDIRECT carol@example.test\n")
        rcpts = write(inst, "rcpt_access", "alice@example.test PREPEND X-Access: tagged\n"
                      "bob@example.test BCC carol@example.test\n")
        clients = write(inst, "client_access", "127.0.0.2 FILTER filt:\n")
        transport = write(inst, "transport", "dave@example.test error:5.1.1 not through the filter\n")
        with open(inst.path("master.cf"), "a") as f:
            f.write("filt      unix  -       n       n       -       -       local\n")
        inst.run("conf", "-e", "smtpd_client_restrictions=check_client_access texthash:" + clients,
                 "smtpd_sender_restrictions=check_sender_access texthash:" + senders,
                 "smtpd_recipient_restrictions=check_recipient_access texthash:" + rcpts
                 + ", reject_unlisted_recipient", "transport_maps=texthash:" + transport)
        inst.start()
        body = "From: %s\nSubject: %s\n\nbody\n"
        with session(inst) as s:
            s.sendmail("x@client.example", ["alice@example.test", "bob@example.test"], body % ("x", "tagged"))
            s.sendmail("boss@client.example", ["alice@example.test", "bob@example.test"], body % ("boss", "redirected"))
        with session(inst, source="127.0.0.2") as s:
            s.sendmail("y@client.example", ["dave@example.test"], body % ("y", "filtered"))

        def subjects(user):
            return [m.split(b"\nSubject: ")[1].split(b"\n")[0].decode() for m in split_mbox(inst.read_mbox(user))]
        wait_for("deliveries", lambda: len(subjects("carol")) == 3 and subjects("dave"), timeout=20)
        inst.wait_queue_empty()
        # BCC: carol gets a copy of the first message; REDIRECT: both
        # recipients of the second become carol, one copy per original.
        assert sorted(subjects("carol")) == ["redirected", "redirected", "tagged"], subjects("carol")
        assert subjects("alice") == ["tagged"] and subjects("bob") == ["tagged"], (subjects("alice"), subjects("bob"))
        # PREPEND: above smtpd's Received: header, only in the message it
        # was found for (alice was a recipient of both).
        tagged = split_mbox(inst.read_mbox("alice"))[0]
        assert b"X-Access: tagged\nReceived: from client.example.org" in tagged, tagged
        assert all(m.count(b"X-Access: tagged") == 1 for m in split_mbox(inst.read_mbox("carol")))
        assert subjects("dave") == ["filtered"]
        inst.stop()
        log = inst.maillog()
        for part in [": bcc: RCPT from unknown[127.0.0.1]: <bob@example.test>: Recipient address triggers BCC "
                     "carol@example.test; from=<x@client.example> to=<bob@example.test> proto=ESMTP",
                     ": redirect: RCPT from unknown[127.0.0.1]: <boss@client.example>: Sender address triggers "
                     "REDIRECT carol@example.test; from=<boss@client.example> to=<alice@example.test>",
                     "to=<carol@example.test>, orig_to=<alice@example.test>, relay=local,",
                     "to=<carol@example.test>, orig_to=<bob@example.test>, relay=local,",
                     ": filter: RCPT from unknown[127.0.0.2]: <unknown[127.0.0.2]>: Client host triggers FILTER filt:;"
                     " from=<y@client.example> to=<dave@example.test>",
                     "to=<dave@example.test>, relay=filt,"]:
            assert part in log, (part, log[-4000:])
        assert "not through the filter" not in log


def test_bad_table_stops_smtpd_with_file_line():
    with Instance() as inst:
        clients = write(inst, "clients.cidr", "127.0.0.0/8 OK\n\n192.0.2.1/24 REJECT\n")
        inst.run("conf", "-e", "smtpd_client_restrictions=check_client_access cidr:" + clients)
        inst.start()
        try:
            with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
                s.ehlo("client.example.org")
        except (smtplib.SMTPException, OSError):
            pass
        inst.stop()
        assert clients + ":3: non-null host address bits in \"192.0.2.1/24\"" in inst.maillog(), inst.maillog()[-3000:]


if __name__ == "__main__":
    main([test_access_tables, test_hold_and_discard, test_filter_redirect_bcc_prepend,
          test_bad_table_stops_smtpd_with_file_line])
