"""Shared pieces of the POP3 integration tests: an instance whose INBOXes
are mbox (local's default, the spool file) or Maildir (home_mailbox =
Maildir/), mail delivered through our own smtpd and local as a user's
correspondents would send it, and a TLS context that trusts exactly the
instance's self-signed certificate."""
import os
import smtplib
import ssl

from buzon_instance import Instance, wait_for, port_free

FORMATS = ("mbox", "maildir")


def make_instance(fmt, extra=(), setup=None):
    inst = Instance()
    settings = ["auth_failure_delay=1s"]
    if fmt == "maildir":
        settings.append("home_mailbox=Maildir/")
    inst.run("conf", "-e", *settings, *extra)
    if setup:
        setup(inst)
    inst.start()
    inst.pop3_port = inst.port_base + 110
    inst.pop3s_port = inst.port_base + 995
    inst.fmt = fmt
    for port in (inst.pop3_port, inst.pop3s_port):
        wait_for("listener %d" % port, lambda: not port_free(port))
    return inst


def tls_context(inst):
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    ctx.check_hostname = False  # the certificate names mail.example.test, we connect to 127.0.0.1
    return ctx


def count_delivered(inst, user):
    if inst.fmt == "maildir":
        n = 0
        for sub in ("new", "cur"):
            d = inst.path("home", user, "Maildir", sub)
            if os.path.isdir(d):
                n += len(os.listdir(d))
        return n
    return inst.read_mbox(user).count(b"\nFrom ") + (1 if inst.read_mbox(user).startswith(b"From ") else 0)


def deliver(inst, user, subject, body="hello\r\n"):
    """Sends one message over SMTP and waits until local has delivered it."""
    before = count_delivered(inst, user)
    msg = "From: someone@example.org\r\nTo: %s@%s\r\nSubject: %s\r\n\r\n%s" % (user, inst.domain, subject, body)
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20) as s:
        s.sendmail("someone@example.org", ["%s@%s" % (user, inst.domain)], msg.encode())
    wait_for("delivery of " + subject, lambda: count_delivered(inst, user) > before, timeout=20)


def password(user):
    return "secret-" + user
