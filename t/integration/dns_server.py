"""A dnsmasq for integration tests: started on a free 127.0.0.1 UDP port
with the records given (dnsmasq.conf lines), NXDOMAIN for every other name,
stopped by close(). Smtpd is pointed at it with dns_servers."""
import os
import shutil
import socket
import subprocess
import tempfile

from buzon_instance import port_free, wait_for

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def free_udp_port():
    """A 127.0.0.1 port free for UDP and for TCP: dnsmasq listens on both,
    and the TCP side of an ephemeral port is often some test's outgoing
    connection."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port_free(port):  # the TCP side
                return port


class DnsServer:
    def __init__(self, records):
        self.dir = tempfile.mkdtemp(prefix="buzon-dns-")
        conf = os.path.join(self.dir, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write("".join(r + "\n" for r in records))
        os.chmod(self.dir, 0o755)
        os.chmod(conf, 0o644)
        # The port can still be taken between the check and dnsmasq's bind:
        # dnsmasq then exits at once, and another port is tried.
        for attempt in range(5):
            self.port = free_udp_port()
            args = [DNSMASQ, "--no-daemon", "--port=%d" % self.port, "--listen-address=127.0.0.1",
                    "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=", "--local=/#/",
                    "--conf-file=" + conf, "--log-facility=" + os.path.join(self.dir, "log")]
            if os.geteuid() == 0:
                args.append("--user=root")
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for("dnsmasq on port %d" % self.port, lambda: self.answers() or self.proc.poll() is not None,
                     timeout=20)
            if self.proc.poll() is None:
                return
        raise AssertionError("dnsmasq did not start (log: %s)" % os.path.join(self.dir, "log"))

    def server(self):
        return "127.0.0.1:%d" % self.port

    def answers(self):
        query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test\x00\x00\x01\x00\x01"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, ("127.0.0.1", self.port))
                return s.recv(512)[:2] == b"\x12\x34"
            except OSError:
                return False

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
