#!/usr/bin/env python3
"""virtual_alias_domains and virtual_alias_maps as Postfix has them: smtpd
accepts the aliases of two virtual alias domains (one a wildcard @domain)
and refuses other addresses there with 550 5.1.1; qmgr expands recipients
recursively (one-to-many, duplicates once, orig_to= in the log), bounces
an expansion that lands on an unknown address of a virtual alias domain,
and defers a message whose expansion nests deeper than
virtual_alias_recursion_limit. Real clients: smtplib, sendmail."""
import email
import email.policy
import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox  # noqa: E402


def send(inst, rcpts, subject):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        s.sendmail("alice@example.test", rcpts, "From: alice@example.test\nSubject: %s\n\nhello\n" % subject)


def subjects(inst, user):
    return sorted(email.message_from_bytes(m).get("Subject", "") for m in split_mbox(inst.read_mbox(user)))


def test_virtual_aliases():
    with Instance(users=("alice", "bob", "carol")) as inst:
        with open(inst.path("virtual"), "w") as f:
            f.write("# the domains themselves: virtual_alias_domains = $virtual_alias_maps\n"
                    "virt.example        anything\n"
                    "catch.example       anything\n"
                    "info@virt.example   bob@example.test, carol@example.test\n"
                    "sales@virt.example  bob\n"
                    "team@virt.example   info@virt.example, alice@example.test\n"
                    "broken@virt.example gone@virt.example\n"
                    "deep@virt.example   deeper@virt.example\n"
                    "deeper@virt.example deepest@virt.example\n"
                    "deepest@virt.example bob@example.test\n"
                    "@catch.example      carol@example.test\n")
        inst.run("map", "hash:" + inst.path("virtual"))
        inst.run("conf", "-e", "virtual_alias_maps=hash:" + inst.path("virtual"), "virtual_alias_recursion_limit=2")
        inst.start()

        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("alice@example.test")
            code, msg = s.rcpt("nobody@virt.example")
            assert code == 550 and b"5.1.1" in msg and b"User unknown in virtual alias table" in msg, (code, msg)
            code, msg = s.rcpt("Info@Virt.Example")
            assert code == 250, (code, msg)
            code, msg = s.rcpt("anyone@catch.example")
            assert code == 250, (code, msg)
            s.rset()

        send(inst, ["info@virt.example", "sales@virt.example"], "info and sales")
        send(inst, ["team@virt.example"], "team")
        send(inst, ["anyone@catch.example"], "wildcard")
        send(inst, ["broken@virt.example"], "broken")
        inst.sendmail("-f", "alice@example.test", "deep@virt.example", data=b"Subject: too deep\n\nx\n")

        wait_for("deliveries", lambda: len(subjects(inst, "carol")) >= 3 and len(subjects(inst, "alice")) >= 2
                 and len(subjects(inst, "bob")) >= 2, timeout=30)
        assert subjects(inst, "bob") == ["info and sales", "team"], subjects(inst, "bob")  # one copy each
        assert subjects(inst, "carol") == ["info and sales", "team", "wildcard"], subjects(inst, "carol")
        inst.wait_log("to=<bob@example.test>, orig_to=<info@virt.example>, relay=local,",
                      "to=<carol@example.test>, orig_to=<anyone@catch.example>, relay=local,",
                      "to=<alice@example.test>, orig_to=<team@virt.example>, relay=local,")

        # broken@ expands to an address that is no alias: a bounce to alice.
        bounce = [email.message_from_bytes(m, policy=email.policy.default) for m in split_mbox(inst.read_mbox("alice"))
                  if b"Undelivered Mail" in m or b"delivery-status" in m]
        assert bounce, subjects(inst, "alice")
        status = [p for p in bounce[0].walk() if p.get_content_type() == "message/delivery-status"][0]
        fields = status.get_payload()[1]
        assert fields["Final-Recipient"] == "rfc822; gone@virt.example", str(fields)
        assert "rfc822;" in fields["Original-Recipient"] and "broken@virt.example" in fields["Original-Recipient"], str(fields)
        assert fields["Status"] == "5.1.1" and "User unknown in virtual alias table" in fields["Diagnostic-Code"]

        # deep@ nests three levels with a limit of two: deferred, never lost.
        wait_for("nesting warning", lambda: "unreasonable virtual_alias_maps map nesting" in inst.maillog(), timeout=20)
        wait_for("deferred file", lambda: os.listdir(inst.path("queue", "deferred")), timeout=20)
        assert "too deep" not in subjects(inst, "bob")


if __name__ == "__main__":
    main([test_virtual_aliases])
