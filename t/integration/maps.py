#!/usr/bin/env python3
"""Lookup tables from the command line: buzon init builds aliases.db,
newaliases / sendmail -bi rebuild it, buzon map builds and queries hash:
tables (postmap behaviour: exit 1 for a missing key, file:line errors)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from buzon_instance import BUILD, Instance, main  # noqa: E402

NEWALIASES = os.path.join(BUILD, "newaliases")


def query(inst, key, table, check=True):
    return inst.run("map", "-q", key, table, check=check)


def test_init_builds_aliases_and_newaliases_rebuilds():
    with Instance() as inst:
        aliases = inst.path("aliases")
        assert os.path.exists(aliases + ".db")
        assert query(inst, "Postmaster", "hash:" + aliases).stdout == "alice\n"
        assert query(inst, "mailer-daemon", "hash:" + aliases).stdout == "postmaster\n"
        assert query(inst, "nosuch", "hash:" + aliases, check=False).returncode == 1
        with open(aliases, "a") as f:
            f.write("staff: alice,\n  bob\n")
        # sendmail -bi, then the newaliases name of the same program.
        inst.sendmail("-bi")
        assert query(inst, "staff", "hash:" + aliases).stdout == "alice, bob\n"
        with open(aliases, "a") as f:
            f.write("Team: bob\nteam: alice\n")
        env = dict(inst.env(), MAIL_CONFIG=inst.root)
        p = subprocess.run([NEWALIASES], capture_output=True, text=True, env=env, timeout=30)
        assert p.returncode == 0, p.stderr
        lines = open(aliases).read().count("\n")
        assert 'newaliases: warning: %s:%d: duplicate entry: "team"' % (aliases, lines) in p.stderr, p.stderr
        assert query(inst, "team", "hash:" + aliases).stdout == "bob\n"


def test_map_build_query_and_errors():
    with Instance() as inst:
        src = inst.path("virtual")
        with open(src, "w") as f:
            f.write("# virtual\nInfo@Example.Test  alice\nsales@example.test alice, bob\n")
        inst.run("map", src)  # default_database_type = hash
        assert query(inst, "info@example.test", "hash:" + src).stdout == "alice\n"
        assert query(inst, "SALES@example.test", src).stdout == "alice, bob\n"
        assert query(inst, "sales@example.test", "texthash:" + src).stdout == "alice, bob\n"
        # A key over the limit: the old table stays, the error names file:line.
        with open(src, "a") as f:
            f.write("x" * 1025 + " v\n")
        p = inst.run("map", "hash:" + src, check=False)
        assert p.returncode == 1 and "%s:4: key longer than 1024 bytes" % src in p.stderr, p.stderr
        assert query(inst, "info@example.test", "hash:" + src).stdout == "alice\n"
        p = inst.run("map", "-q", "x", "nosuch:" + src, check=False)
        assert p.returncode == 1 and "unsupported dictionary type: nosuch" in p.stderr


if __name__ == "__main__":
    main([test_init_builds_aliases_and_newaliases_rebuilds, test_map_build_query_and_errors])
