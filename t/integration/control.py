#!/usr/bin/env python3
"""buzon check/start/stop/reload/status as an administrator uses them:
config typos reported with file:line, no start on a bad config, one master
per queue directory, a session in DATA survives reload."""
import os
import resource
import smtplib
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import Instance, main, wait_for, split_mbox, port_free, BUILD, BUZON  # noqa: E402


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def test_typo_in_main_cf():
    with Instance() as inst:
        append(inst.path("main.cf"), "home_mailboxx = Maildir/\n")
        nlines = open(inst.path("main.cf")).read().count("\n")
        p = inst.run("check", check=False)
        assert p.returncode != 0
        assert "main.cf:%d:" % nlines in p.stderr and "home_mailboxx" in p.stderr, p.stderr
        p = inst.run("start", check=False)
        assert p.returncode != 0
        assert inst.run("status", check=False).returncode != 0
        assert not inst.pids("master")


def test_bad_value_and_master_cf_error():
    with Instance() as inst:
        append(inst.path("main.cf"), "message_size_limit = lots\n")
        p = inst.run("check", check=False)
        assert p.returncode != 0 and "message_size_limit" in p.stderr and "lots" in p.stderr, p.stderr
    with Instance() as inst:
        append(inst.path("master.cf"), "bogus   inet  n - n - - smtpd -o no_such_param=1\n")
        p = inst.run("check", check=False)
        assert p.returncode != 0 and "master.cf:" in p.stderr, p.stderr
    with Instance() as inst:
        # A line as Postfix's Debian master.cf writes them: chroot y is
        # refused with its line, by check and by start, not left to fail
        # in the jail at the first message.
        append(inst.path("master.cf"), "127.0.0.1:%d inet n - y - - smtpd\n" % (inst.smtp_port + 1))
        nlines = open(inst.path("master.cf")).read().count("\n")
        for command in ("check", "start"):
            p = inst.run(command, check=False)
            assert p.returncode != 0, command
            assert "master.cf:%d: chroot y is not supported" % nlines in p.stderr, p.stderr
        assert not inst.pids("master")


def test_start_status_stop_and_single_master():
    with Instance() as inst:
        inst.start()
        p = inst.run("status", check=False)
        assert p.returncode == 0 and "running" in p.stdout + p.stderr, p
        masters = inst.pids("master", forks=False)  # not a child it is starting
        assert len(masters) == 1, masters
        p = inst.run("start", check=False)
        assert p.returncode != 0, "a second start must refuse"
        # Even started by hand, a second master refuses the same queue.
        p = subprocess.run([os.path.join(BUILD, "libexec", "master"), "-c", inst.root, "-d"],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode != 0 and "already running" in p.stderr + p.stdout, p
        inst.stop()
        wait_for("master gone", lambda: not inst.pids("master"))
        wait_for("children gone", lambda: not (inst.pids("smtpd") + inst.pids("qmgr") + inst.pids("local")))
        assert inst.run("status", check=False).returncode != 0


def test_start_fails_when_a_port_is_taken():
    with Instance() as inst:
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", inst.smtp_port))
            squatter.listen(1)
            p = inst.run("start", check=False)
            assert p.returncode != 0, p
            assert "during startup" in p.stderr and "%d" % inst.smtp_port in p.stderr, p.stderr
            assert not inst.pids("master")


def test_session_in_data_survives_reload():
    with Instance() as inst:
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        s.ehlo("c")
        s.mail("alice@example.test")
        s.rcpt("bob@example.test")
        code, _ = s.docmd("DATA")
        assert code == 354
        s.send(b"Subject: across reload\r\n\r\nfirst half\r\n")
        old = inst.pids("smtpd")
        inst.reload()
        # New connections are served by new processes meanwhile.
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s2:
            s2.sendmail("alice@example.test", ["alice@example.test"], "Subject: new\r\n\r\nx\r\n")
        s.send(b"second half\r\n.\r\n")
        code, msg = s.getreply()
        assert code == 250, (code, msg)
        s.quit()
        data = wait_for("delivery", lambda: b"second half" in inst.read_mbox("bob") and inst.read_mbox("bob"))
        assert b"first half\nsecond half\n" in data
        wait_for("old smtpd exits", lambda: not set(old) & set(inst.pids("smtpd")))
        wait_for("new session delivered", lambda: inst.read_mbox("alice"))


def test_smtpd_crash_is_restarted():
    with Instance() as inst:
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.noop()
            for pid in inst.pids("smtpd"):
                os.kill(pid, 9)
        wait_for("smtpd gone", lambda: not inst.pids("smtpd"))
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=10) as s:
            s.sendmail("alice@example.test", ["bob@example.test"], "Subject: after crash\r\n\r\nx\r\n")
        wait_for("delivery", lambda: b"after crash" in inst.read_mbox("bob"))
        assert "killed by signal 9" in inst.maillog()


def open_file_limits(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return soft, hard
    raise AssertionError("no Max open files in /proc/%d/limits" % pid)


def test_daemons_get_the_hard_open_file_limit():
    """Started with a soft descriptor limit of 256, master raises it to the
    hard limit for itself and every daemon, as Postfix's master does: one
    smtpd or pop3d serves up to 1,000 clients."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard == resource.RLIM_INFINITY or hard > 256, "this test needs a hard limit above 256"
    with Instance() as inst:
        def low_soft_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        subprocess.run([BUZON, "-c", inst.root, "start"], env=inst.env(), preexec_fn=low_soft_limit,
                       check=True, capture_output=True, timeout=60)
        inst.started = True
        wait_for("SMTP listener", lambda: not port_free(inst.smtp_port))
        with socket.create_connection(("127.0.0.1", inst.smtp_port), timeout=10) as client:
            client.recv(512)  # the greeting: an smtpd runs
            wait_for("qmgr", lambda: inst.pids("qmgr"))
            for name in ("master", "qmgr", "smtpd"):
                soft, got_hard = open_file_limits(inst.pids(name)[0])
                assert soft == got_hard, "%s: soft %s, hard %s" % (name, soft, got_hard)
                assert soft != "256", name


if __name__ == "__main__":
    main([test_typo_in_main_cf, test_bad_value_and_master_cf_error,
          test_start_status_stop_and_single_master, test_start_fails_when_a_port_is_taken,
          test_session_in_data_survives_reload,
          test_smtpd_crash_is_restarted, test_daemons_get_the_hard_open_file_limit])
