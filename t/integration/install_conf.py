#!/usr/bin/env python3
"""The configuration "make install" puts in place (conf/conf.am): main.cf,
master.cf, aliases and its database, and a self-signed certificate for this
host that the shipped main.cf names, made once and then kept."""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from buzon_instance import BUILD, main  # noqa: E402


def conf_install(destdir):
    # Only the configuration step of "make install": the programs are
    # already built, and make check may be running in the same tree.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-s", "-C", BUILD, "conf-install", "DESTDIR=" + destdir],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def staged_conf_dir(destdir):
    for root, _dirs, files in os.walk(destdir):
        if "main.cf" in files:
            return root
    raise AssertionError("no main.cf under " + destdir)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_install_makes_a_certificate_once():
    destdir = tempfile.mkdtemp(prefix="buzon-install-")
    try:
        out = conf_install(destdir)
        conf = staged_conf_dir(destdir)
        for name in ("main.cf", "master.cf", "aliases", "aliases.db"):
            assert os.path.isfile(os.path.join(conf, name)), (name, out)
        cert, key = os.path.join(conf, "tls", "cert.pem"), os.path.join(conf, "tls", "key.pem")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-ext", "subjectAltName"],
                              capture_output=True, text=True, check=True).stdout
        assert "DNS:localhost" in text and "IP Address:127.0.0.1" in text, text
        # The key belongs to the certificate.
        pub = [subprocess.run(["openssl", kind, "-in", path, "-noout", "-pubkey"] if kind == "x509" else
                              ["openssl", "pkey", "-in", path, "-pubout"],
                              capture_output=True, text=True, check=True).stdout
               for kind, path in (("x509", cert), ("pkey", key))]
        assert pub[0] == pub[1]
        # The installed main.cf names it; the daemons expand the name.
        p = subprocess.run([os.path.join(BUILD, "buzon"), "-c", conf, "conf", "smtpd_tls_cert_file",
                            "smtpd_tls_security_level"], capture_output=True, text=True, check=True)
        assert "smtpd_tls_cert_file = $config_directory/tls/cert.pem" in p.stdout, p.stdout
        assert "smtpd_tls_security_level = may" in p.stdout, p.stdout

        # A second install keeps the administrator's files and the certificate.
        before = digest(cert)
        out = conf_install(destdir)
        assert "keeping the existing" in out, out
        assert digest(cert) == before

        # An administrator's own certificate setting: nothing is made.
        shutil.rmtree(os.path.join(conf, "tls"))
        with open(os.path.join(conf, "main.cf"), "a") as f:
            f.write("smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\n")
        conf_install(destdir)
        assert not os.path.exists(os.path.join(conf, "tls"))
    finally:
        shutil.rmtree(destdir, ignore_errors=True)


if __name__ == "__main__":
    main([test_install_makes_a_certificate_once])
