"""A real Buzón instance for integration tests.

Creates an instance with `buzon init` in a temporary folder on free ports,
starts it with `buzon start`, and stops and removes it on exit. Waits poll
for an outcome with a deadline; nothing sleeps for a fixed time.
"""
import fcntl
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("BUZON_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
BUZON = os.path.join(BUILD, "buzon")
SENDMAIL = os.path.join(BUILD, "sendmail")
MAILQ = os.path.join(BUILD, "mailq")


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_for(what, predicate, timeout=10.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def reserve_port_base():
    """A port base no other test holds, as (lock fd, base).

    Tests run in parallel and an instance binds its ports only at start,
    so a free-port check alone lets two tests pick the same base; the
    flock on a file per base, held until close(), makes the choice
    exclusive across processes."""
    lock_dir = os.path.join(tempfile.gettempdir(), "buzon-it-ports")
    os.makedirs(lock_dir, exist_ok=True)
    try:
        os.chmod(lock_dir, 0o1777)  # shared by root's and users' test runs
    except OSError:
        pass
    for _ in range(200):
        base = random.randrange(10000, 31700, 100)
        fd = os.open(os.path.join(lock_dir, str(base)), os.O_RDONLY | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if all(port_free(base + n) for n in (25, 110, 143, 465, 587, 993, 995)):
            return fd, base
        os.close(fd)
    raise AssertionError("no free port base in 10000-31700")


class Instance:
    def __init__(self, users=("alice", "bob"), domain="example.test", add_missing_headers=True):
        self.dir = tempfile.mkdtemp(prefix="buzon-it-")
        os.chmod(self.dir, 0o755)
        self.root = os.path.join(self.dir, "inst")
        # Below Linux's ephemeral range (32768-60999): a listening port up
        # there can be taken at any moment by some client's outgoing
        # connection. The highest service port is base + 995.
        self.port_lock, base = reserve_port_base()
        self.port_base = base
        self.smtp_port = base + 25
        self.domain = domain
        args = ["init", self.root, "--domain", domain, "--port-base", str(base)]
        for u in users:
            args += ["--user", u + ":secret-" + u]
        self.run(*args)
        self.started = False
        # Sanitizer builds: the daemons get the options (master passes only
        # what import_environment names) and write their reports into the
        # instance, where close() looks for them.
        self.sanitizer_dir = os.path.join(self.dir, "sanitizer")
        os.makedirs(self.sanitizer_dir, mode=0o777)
        os.chmod(self.sanitizer_dir, 0o777)  # daemons may run as nobody
        self.run("conf", "-e", "import_environment=TZ LANG ASAN_OPTIONS UBSAN_OPTIONS")
        # Hermetic: no DNS but a server a test starts itself (t/integration/
        # dns_server.py), so clients are "unknown" unless a test asks.
        self.run("conf", "-e", "smtpd_peername_lookup=no")
        # Tests that compare a message byte for byte turn off what Postfix's
        # default does for a client on 127.0.0.1: adding a missing Date:,
        # Message-ID: and From: (header_rewrite.py tests that).
        if not add_missing_headers:
            self.run("conf", "-e", "local_header_rewrite_clients=")

    # --- commands
    def env(self):
        env = dict(os.environ)
        for var, name in (("ASAN_OPTIONS", "asan"), ("UBSAN_OPTIONS", "ubsan")):
            if var in env:
                env[var] = env[var] + ":log_path=" + os.path.join(self.sanitizer_dir, name)
        return env

    def sanitizer_reports(self):
        out = []
        for name in sorted(os.listdir(self.sanitizer_dir)):
            with open(os.path.join(self.sanitizer_dir, name), errors="replace") as f:
                out.append(name + ":\n" + f.read())
        return out

    def run(self, *args, check=True, input=None, env=None):
        cmd = [BUZON, "-c", self.root, *args] if args[0] != "init" else [BUZON, *args]
        if env is None and args[0] != "init":
            env = self.env()
        p = subprocess.run(cmd, capture_output=True, text=True, input=input, env=env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s%s" % (cmd, p.returncode, p.stdout, p.stderr))
        return p

    def sendmail(self, *args, data=b"", check=True):
        env = dict(self.env(), MAIL_CONFIG=self.root)
        p = subprocess.run([SENDMAIL, *args], input=data, capture_output=True, env=env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("sendmail %s failed (%d): %s" % (args, p.returncode, p.stderr))
        return p

    def reload(self):
        """buzon reload, then wait until master has taken it: like postfix
        reload, the command only signals master, so mail sent right after
        it could still meet processes of the old configuration."""
        done = self.maillog().count("reload -- version")
        self.run("reload")
        wait_for("reload logged", lambda: self.maillog().count("reload -- version") > done)

    def start(self):
        self.run("start")
        self.started = True
        wait_for("SMTP listener", lambda: not port_free(self.smtp_port))

    def stop(self):
        if self.started:
            self.run("stop", check=False)
            self.started = False

    def close(self):
        try:
            self.stop()
            reports = self.sanitizer_reports()
            if reports:
                raise AssertionError("sanitizer reports from the daemons:\n" + "\n".join(reports)[-8000:])
        finally:
            if self.port_lock is not None:
                os.close(self.port_lock)
                self.port_lock = None
            if os.environ.get("BUZON_KEEP"):
                print("kept instance in", self.dir, file=sys.stderr)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- maillog ----\n" + self.maillog()[-6000:], file=sys.stderr)
        self.close()

    # --- where things are
    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def mbox(self, user):
        return self.path("mail", user)

    def maildir_new(self, user):
        return self.path("home", user, "Maildir", "new")

    def read_mbox(self, user):
        return read_file(self.mbox(user))

    def maildir_messages(self, user):
        d = self.maildir_new(user)
        if not os.path.isdir(d):
            return []
        out = []
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append(f.read())
        return out

    def maildir_message_ids(self, user):
        """The Message-ID of each message in user's Maildir new/, in name
        order (a message delivered twice is listed twice)."""
        ids = []
        for m in self.maildir_messages(user):
            for line in m.split(b"\n"):
                if line.lower().startswith(b"message-id:"):
                    ids.append(line.split(b":", 1)[1].strip().decode())
                    break
        return ids

    def maillog(self):
        try:
            with open(self.path("log", "maillog"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, *texts, timeout=20):
        """The maillog once it holds every one of texts. A daemon logs what
        it did after doing it (qmgr after local's answer, pop3d after its
        last reply), so a client can see the effect before the line."""
        def holds_all():
            log = self.maillog()
            return log if all(t in log for t in texts) else None
        try:
            return wait_for("log lines", holds_all, timeout)
        except AssertionError:
            missing = [t for t in texts if t not in self.maillog()]
            raise AssertionError("timed out waiting for log lines %r in:\n%s" % (missing, self.maillog()[-3000:]))

    def queue_files(self):
        """Messages in the queue: files of every queue folder but the
        spare (empty, reused) files qmgr keeps in tmp/."""
        out = []
        for d in ("incoming", "active", "deferred", "hold", "tmp"):
            p = self.path("queue", d)
            if os.path.isdir(p):
                out += [d + "/" + n for n in os.listdir(p) if not n.startswith("spare.")]
        return out

    def spare_files(self):
        """{name: inode} of the spare queue files in tmp/ (lib/queue/spare.h)."""
        p = self.path("queue", "tmp")
        return {n: os.lstat(os.path.join(p, n)).st_ino for n in os.listdir(p) if n.startswith("spare.")}

    def wait_queue_empty(self, timeout=20):
        wait_for("empty queue", lambda: not self.queue_files(), timeout)

    def pids(self, program, forks=True):
        """PIDs of this instance's processes running libexec/<program>.

        A child between fork and exec still shows its parent's command
        line; with forks=False a process whose parent is in the list is
        not counted (to count programs, not processes)."""
        found = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
                with open("/proc/%s/stat" % pid, "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if (argv and os.path.basename(argv[0]).decode(errors="replace") == program
                    and self.root.encode() in argv):
                found[int(pid)] = ppid
        return [pid for pid, ppid in found.items() if forks or ppid not in found]


def read_file(path):
    """The file's bytes; empty when it does not exist (yet)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def split_mbox(data):
    """Messages of an mbox file, without their From_ lines."""
    msgs = []
    for chunk in data.split(b"\nFrom ")[0:]:
        msgs.append(chunk)
    if msgs and msgs[0].startswith(b"From "):
        msgs[0] = msgs[0][5:]
    return [m.split(b"\n", 1)[1] if b"\n" in m else b"" for m in msgs if m]


def main(tests):
    """Runs test functions; exit status 0 only if all pass (automake)."""
    failed = 0
    for t in tests:
        name = t.__name__
        try:
            t()
            print("PASS:", name)
        except Exception as e:  # report and go on to the next test
            failed += 1
            import traceback
            traceback.print_exc()
            print("FAIL:", name, e)
        sys.stdout.flush()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
