#!/usr/bin/env python3
"""DNS restrictions against a real name server on loopback (a dnsmasq the
test starts, named to smtpd by dns_servers): the client's name at connect
(reverse, then forward-confirmed), reject_unknown_client_hostname,
reject_unknown_reverse_client_hostname, reject_unknown_helo_hostname,
reject_unknown_sender_domain and reject_unknown_recipient_domain, with
Postfix 3.7's replies; pipelined commands wait for the answers in order;
a name server that does not answer gives 450, never 5xx."""
import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main  # noqa: E402
from dns_server import DnsServer, free_udp_port  # noqa: E402

RECORDS = [
    "mx-host=good.example,mx.good.example,10", "host-record=mx.good.example,192.0.2.10",
    "host-record=aonly.example,192.0.2.11", "host-record=client.example.org,127.0.0.1",
    "ptr-record=1.0.0.127.in-addr.arpa,client.example.org",
    "ptr-record=2.0.0.127.in-addr.arpa,liar.example.org", "host-record=liar.example.org,192.0.2.99",
]


def rcpt(inst, sender, recipient, source="127.0.0.1", helo="client.example.org"):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20, source_address=(source, 0)) as s:
        s.ehlo(helo)
        code, msg = s.docmd("MAIL FROM:<%s>" % sender)
        assert code == 250, (code, msg)
        code, msg = s.docmd("RCPT TO:<%s>" % recipient)
        return code, msg.decode()


def configure(inst, servers, **extra):
    settings = {
        "dns_servers": servers,
        "smtpd_peername_lookup": "yes",
        "smtpd_peername_host_lookup": "dns",  # 127.0.0.1 is in /etc/hosts
        "mynetworks": "10.0.0.0/8",
        "relay_domains": "good.example, nx.example",
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "smtpd_client_restrictions": "reject_unknown_reverse_client_hostname, check_client_access cidr:"
                                     + inst.path("clients.cidr"),
        "smtpd_helo_restrictions": "reject_unknown_helo_hostname",
        "smtpd_sender_restrictions": "reject_unknown_sender_domain",
        "smtpd_recipient_restrictions": "reject_unknown_recipient_domain",
    }
    settings.update(extra)
    with open(inst.path("clients.cidr"), "w") as f:
        f.write("127.0.0.2 reject_unknown_client_hostname\n")
    for k, v in settings.items():
        inst.run("conf", "-e", "%s=%s" % (k, v))


def test_dns_restrictions():
    with DnsServer(RECORDS) as dns, Instance() as inst:
        configure(inst, dns.server())
        inst.start()
        ok = (250, "2.1.5 Ok")
        assert rcpt(inst, "a@good.example", "alice@example.test") == ok        # MX
        assert rcpt(inst, "a@AONLY.example", "alice@example.test") == ok       # no MX, an A record
        assert rcpt(inst, "", "alice@example.test") == ok                      # <> has no domain
        assert rcpt(inst, "a@nx.example", "alice@example.test") == \
            (450, "4.1.8 <a@nx.example>: Sender address rejected: Domain not found")
        assert rcpt(inst, "a@good.example", "alice@example.test", helo="nohost.example") == \
            (450, "4.7.1 <nohost.example>: Helo command rejected: Host not found")
        assert rcpt(inst, "a@good.example", "alice@example.test", helo="[127.0.0.1]") == ok
        assert rcpt(inst, "a@good.example", "x@good.example") == ok
        assert rcpt(inst, "a@good.example", "x@nx.example") == \
            (450, "4.1.2 <x@nx.example>: Recipient address rejected: Domain not found")
        # No PTR at all; a PTR name that does not map back to the address.
        assert rcpt(inst, "a@good.example", "alice@example.test", source="127.0.0.3") == \
            (450, "4.7.25 Client host rejected: cannot find your reverse hostname, [127.0.0.3]")
        assert rcpt(inst, "a@good.example", "alice@example.test", source="127.0.0.2") == \
            (450, "4.7.25 Client host rejected: cannot find your hostname, [127.0.0.2]")
        # Pipelined: the commands behind the RCPT that waits for DNS are
        # answered after it, in order, in one go.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20) as s:
            s.ehlo("client.example.org")
            s.send(b"MAIL FROM:<b@nx.example>\r\nRCPT TO:<alice@example.test>\r\nRSET\r\n"
                   b"MAIL FROM:<b@aonly.example>\r\nRCPT TO:<alice@example.test>\r\nNOOP\r\n")
            replies = [s.getreply() for _ in range(6)]
            assert [c for c, _ in replies] == [250, 450, 250, 250, 250, 250], replies
        inst.stop()
        log = inst.maillog()
        for line in ["connect from client.example.org[127.0.0.1]", "connect from unknown[127.0.0.2]",
                     "connect from unknown[127.0.0.3]",
                     "NOQUEUE: reject: RCPT from client.example.org[127.0.0.1]: 450 4.1.8 <a@nx.example>: Sender "
                     "address rejected: Domain not found; from=<a@nx.example> to=<alice@example.test> proto=ESMTP "
                     "helo=<client.example.org>"]:
            assert line in log, (line, log[-3000:])


def test_dns_temporary_failure_is_never_permanent():
    # Nothing listens on this port: every lookup fails temporarily.
    dead = "127.0.0.1:%d" % free_udp_port()
    with Instance() as inst:
        configure(inst, dead, smtpd_client_restrictions="", unknown_address_reject_code="550")
        inst.start()
        # defer_if_permit (the default): 450 since nothing else rejects.
        assert rcpt(inst, "a@good.example", "alice@example.test", helo="[127.0.0.1]") == \
            (450, "4.1.8 <a@good.example>: Sender address rejected: Domain not found")
        inst.stop()
        assert "connect from unknown[127.0.0.1]" in inst.maillog()
        # A rejection found later wins over defer_if_permit.
        inst.run("conf", "-e", "smtpd_recipient_restrictions=reject_unknown_recipient_domain, reject")
        inst.start()
        assert rcpt(inst, "a@good.example", "alice@example.test", helo="[127.0.0.1]") == \
            (554, "5.7.1 <alice@example.test>: Recipient address rejected: Access denied")
        inst.stop()

        # smtpd_peername_host_lookup = native (the default): 127.0.0.1 gets
        # its /etc/hosts name without a name server, as Postfix gets it from
        # the C library; the DNS restrictions still ask the dead DNS.
        names = hosts_file_names("127.0.0.1")
        assert names, "/etc/hosts has no name for 127.0.0.1"
        inst.run("conf", "-e", "smtpd_peername_host_lookup=native", "smtpd_recipient_restrictions=")
        inst.start()
        assert rcpt(inst, "a@good.example", "alice@example.test", helo="[127.0.0.1]") == \
            (450, "4.1.8 <a@good.example>: Sender address rejected: Domain not found")
        inst.stop()
        log = inst.maillog()
        assert any("connect from %s[127.0.0.1]" % n in log for n in names), (names, log[-2000:])


def hosts_file_names(addr):
    names = []
    with open("/etc/hosts") as f:
        for line in f:
            fields = line.split("#")[0].split()
            if fields and fields[0] == addr:
                names += [n.lower() for n in fields[1:]]
    return names


if __name__ == "__main__":
    main([test_dns_restrictions, test_dns_temporary_failure_is_never_permanent])
