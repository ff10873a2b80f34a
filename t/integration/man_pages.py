#!/usr/bin/env python3
"""Every manual page formats without a warning (groff -man -ww: an unknown
request or character, such as a form feed written where \\f was meant),
and every daemon in libexec/ has its section 8 page."""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from buzon_instance import BUILD, main  # noqa: E402

MAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "man")


def pages():
    found = sorted(glob.glob(os.path.join(MAN, "*.[1-8]")))
    assert len(found) >= 10, found
    return found


def test_pages_format_without_warnings():
    env = dict(os.environ, LC_ALL="C")
    for page in pages():
        p = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0 and p.stderr == "", "%s: %s" % (os.path.basename(page), p.stderr)


def test_every_daemon_has_a_page():
    names = {os.path.basename(p) for p in pages()}
    daemons = [d for d in os.listdir(os.path.join(BUILD, "libexec"))
               if os.access(os.path.join(BUILD, "libexec", d), os.X_OK)]
    assert "smtpd" in daemons, daemons
    missing = [d for d in daemons if d + ".8" not in names]
    assert not missing, missing


if __name__ == "__main__":
    main([test_pages_format_without_warnings, test_every_daemon_has_a_page])
