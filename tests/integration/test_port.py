"""Integration tests for portcullis-port.

Run inside the private network namespace (make integration, or
tests/lab/netns-run python3 -m pytest tests/integration/test_port.py), where
we are uid 0 and only loopback exists. Self-contained: the sockets under
test are opened by a helper process started here, and every answer of the
tool is checked against `ss -Htuanp` taken at the same moment.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

BUILD = os.environ.get("PC_BUILD", "/work/main/build-asan")
TOOL = os.path.join(BUILD, "portcullis-port")
PY = "/usr/bin/python3"

# The helper process: renames itself (so the owner's command is something we
# chose), opens the sockets described by argv as JSON, prints one JSON line
# with its pid and the ports it got, then waits until stdin closes.
HOLDER = r"""
import json, os, socket, sys, ctypes
spec = json.loads(sys.argv[1])
if spec.get("nodump"):
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)   # PR_SET_DUMPABLE = 4
with open("/proc/self/comm", "w") as f:
    f.write(spec.get("comm", "pp-holder"))
keep = []
for kind, port in spec["socks"]:
    if kind == "tcp4-listen":
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port)); s.listen(8); keep.append(s)
    elif kind == "tcp4-conn":           # a connection to our own listener
        l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", port)); l.listen(8)
        c = socket.create_connection(("127.0.0.1", port)); a, _ = l.accept()
        keep += [l, c, a]
    elif kind == "udp4":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port)); keep.append(s)
    elif kind == "udp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s.bind(("::1", port)); keep.append(s)
    elif kind == "tcp-dual":            # [::] with V6ONLY off, plus a v4-mapped client
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port)); s.listen(8)
        c = socket.socket(socket.AF_INET6); c.connect(("::ffff:127.0.0.1", port))
        a, _ = s.accept(); keep += [s, c, a]
print(json.dumps({"pid": os.getpid()}), flush=True)
sys.stdin.read()
"""


class Holder:
    def __init__(self, socks, comm="pp-holder", nodump=False, prefix=()):
        spec = json.dumps({"socks": socks, "comm": comm, "nodump": nodump})
        self.p = subprocess.Popen(list(prefix) + [PY, "-c", HOLDER, spec],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line, "socket holder failed to start"
        self.pid = json.loads(line)["pid"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


@pytest.fixture
def holder():
    made = []

    def make(*a, **kw):
        h = Holder(*a, **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


def run(*args, check_rc=0):
    r = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True, timeout=60)
    if check_rc is not None:
        assert r.returncode == check_rc, (r.returncode, r.stdout, r.stderr)
    return r


def tool_json(*args):
    return json.loads(run(*args, "--json").stdout)


def need_tool():
    if not os.path.exists(TOOL):
        pytest.fail("%s not built" % TOOL)


# ---- ss, parsed just enough to compare --------------------------------------

def ss_sockets(port):
    """(proto, local port, peer port, pids) for each socket ss sees on port."""
    out = subprocess.run(["ss", "-Htuanp"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        proto, local, peer = f[0], f[4], f[5]
        lport = int(local.rsplit(":", 1)[1])
        pport = peer.rsplit(":", 1)[1]
        pport = 0 if pport == "*" else int(pport)
        if port not in (lport, pport):
            continue
        pids = frozenset(int(p) for p in re.findall(r"pid=(\d+)", line))
        rows.append((proto, lport, pport, pids))
    return sorted(rows, key=repr)


def tool_sockets(doc):
    rows = [(s["proto"], s["local"]["port"], s["peer"]["port"],
             frozenset(p["pid"] for p in s["processes"])) for s in doc["sockets"]]
    return sorted(rows, key=repr)


# ---- registry facts ---------------------------------------------------------

def services(doc):
    return {(r["service"], r["transport"]) for r in doc["registry"]}


def test_registry_domain_53():
    need_tool()
    doc = tool_json(53)
    assert doc["facts"]["iana_range"] == "system"
    assert {("domain", "tcp"), ("domain", "udp")} <= services(doc)
    assert all(r["description"] == "Domain Name Server" for r in doc["registry"]
               if r["service"] == "domain")
    text = run(53).stdout
    assert "System (0-1023)" in text and "domain" in text


def test_registry_https_443_and_transport_filter():
    doc = tool_json(443)
    assert {("https", "tcp"), ("https", "udp")} <= services(doc)
    assert any("RFC9110" in r["reference"] for r in doc["registry"])
    only_tcp = tool_json(443, "--tcp")
    assert ("https", "udp") not in services(only_tcp)
    assert ("https", "tcp") in services(only_tcp)


def test_registry_ipsec_nat_t_4500():
    doc = tool_json(4500)
    assert doc["facts"]["iana_range"] == "user"
    assert ("ipsec-nat-t", "udp") in services(doc)
    udp = [r for r in doc["registry"] if r["transport"] == "udp"]
    assert "RFC3948" in udp[0]["reference"]


def test_dynamic_port_60026():
    doc = tool_json(60026)
    assert doc["facts"]["iana_range"] == "dynamic"
    assert doc["registry"] == []
    uses = " ".join(u["use"] for u in doc["known_uses"])
    assert "Windows DNS Server socket pool" in uses
    assert all(u["source"] for u in doc["known_uses"])
    eph = doc["facts"]["ephemeral"]
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    assert (eph["low"], eph["high"]) == (lo, hi)
    assert eph["inside"] == (1 if lo <= 60026 <= hi else 0)


def test_reserved_ports_are_reported():
    path = "/proc/sys/net/ipv4/ip_local_reserved_ports"
    old = open(path).read()
    try:
        with open(path, "w") as f:
            f.write("61234,61300-61302")
    except OSError:
        pytest.skip("cannot write ip_local_reserved_ports here")
    try:
        assert tool_json(61234)["facts"]["reserved"] == 1
        assert tool_json(61233)["facts"]["reserved"] == 0
        assert tool_json("61290-61310")["facts"]["reserved"] == 3
    finally:
        with open(path, "w") as f:
            f.write(old.strip())


def test_reverse_lookup_and_like():
    doc = tool_json("domain")
    assert {(r["port"], r["transport"]) for r in doc["registry"]} == {(53, "tcp"), (53, "udp")}
    like = tool_json("--like", "DNS")
    names = {r["service"] for r in like["registry"]}
    assert "domain-s" in names and "dnsix" in names
    assert "domain" in run("--like", "dns").stdout or "domain-s" in run("--like", "dns").stdout


@pytest.mark.parametrize("args", [["70000"], ["abc"], ["5-3"], ["--frobnicate", "53"],
                                  ["53", "54"], [], ["-1"], ["1-70000"], ["--like"]])
def test_bad_input_exit_2_one_line(args):
    need_tool()
    r = run(*args, check_rc=2)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("portcullis-port: ")


# ---- live sockets -----------------------------------------------------------

def test_sockets_owner_and_agreement_with_ss(holder):
    h = holder([["tcp4-listen", 61101], ["tcp4-conn", 61102], ["udp4", 61103],
                ["udp6", 61104], ["tcp-dual", 61105], ["udp4", 61106], ["udp6", 61106]])
    for port in (61101, 61102, 61103, 61104, 61105, 61106):
        doc = tool_json(port)
        ss = ss_sockets(port)
        assert tool_sockets(doc) == ss, (port, doc["sockets"], ss)
        for s in doc["sockets"]:
            if s["inode"]:
                assert s["processes"] == [{"pid": h.pid, "command": "pp-holder"}], s
                assert s["owner_hidden"] is False

    listen = tool_json(61101)["sockets"]
    assert [(s["proto"], s["state"], s["local"]["addr"]) for s in listen] == \
        [("tcp", "LISTEN", "127.0.0.1")]

    conn = tool_json(61102)["sockets"]
    states = sorted(s["state"] for s in conn)
    assert states == ["ESTAB", "ESTAB", "LISTEN"]

    v6 = tool_json(61104)["sockets"]
    assert len(v6) == 1 and v6[0]["family"] == "ip6" and v6[0]["local"]["addr"] == "::1"
    assert v6[0]["v6only"] is True and v6[0]["dual_stack"] is False

    dual = tool_json(61105)["sockets"]
    lst = [s for s in dual if s["state"] == "LISTEN"]
    assert len(lst) == 1 and lst[0]["dual_stack"] is True and lst[0]["local"]["addr"] == "::"
    mapped = [s for s in dual if s["state"] == "ESTAB"]
    assert mapped and all(s["local"]["addr"] == "127.0.0.1" and s["v4mapped"] for s in mapped)

    text = run(61105).stdout
    assert "dual-stack" in text and "pp-holder[%d]" % h.pid in text
    assert "[::ffff:" not in text       # mapped addresses print as IPv4

    both = tool_json(61106)["sockets"]
    assert sorted(s["family"] for s in both) == ["ip4", "ip6"]
    assert [s["proto"] for s in tool_json(61106, "--tcp")["sockets"]] == []


def test_range_lists_bound_and_counts_free(holder):
    holder([["udp4", 61203], ["udp6", 61203], ["udp4", 61207], ["tcp4-listen", 61205]])
    doc = tool_json("61200-61209")
    assert doc["query"]["kind"] == "range"
    assert doc["facts"]["ports"] == 10
    assert doc["facts"]["free"] == {"tcp": 9, "udp": 8}
    got = sorted((s["proto"], s["local"]["port"]) for s in doc["sockets"])
    assert got == [("tcp", 61205), ("udp", 61203), ("udp", 61203), ("udp", 61207)]
    assert tool_json("61200-61209", "--udp")["facts"]["free"] == {"udp": 8}
    text = run("61200-61209").stdout
    assert "tcp 9 of 10, udp 8 of 10" in text


def test_hidden_owner_names_missing_privileges(holder):
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    # A non-dumpable process's fd links need CAP_SYS_PTRACE even for its
    # own uid; run the tool without any capability.
    holder([["udp4", 61301]], nodump=True)
    r = subprocess.run(["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--",
                        TOOL, "61301", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (s,) = doc["sockets"]
    assert s["processes"] == [] and s["owner_hidden"] is True
    assert any("CAP_SYS_PTRACE" in w and "CAP_DAC_READ_SEARCH" in w and "root" in w
               for w in doc["warnings"]), doc["warnings"]


def test_all_netns_sees_other_namespaces(holder):
    if not shutil.which("unshare"):
        pytest.skip("unshare not installed")
    h = holder([["udp4", 61401]], prefix=["unshare", "-n"])
    assert tool_json(61401)["sockets"] == []
    doc = tool_json(61401, "--all-netns")
    (s,) = doc["sockets"]
    assert s["processes"][0]["pid"] == h.pid
    own = os.stat("/proc/self/ns/net").st_ino
    assert s["netns"] != own


def test_numeric_uid():
    doc = tool_json(53, "-n")
    assert all(s["user"] is None for s in doc["sockets"])


# ---- a running portcullis daemon --------------------------------------------

def test_pool_sockets_of_running_daemon(tmp_path):
    daemon = os.path.join(BUILD, "portcullis")
    ctl = os.path.join(BUILD, "portcullis-ctl")
    if not os.path.exists(daemon):
        pytest.skip("%s not built yet" % daemon)
    sock = str(tmp_path / "pc.ctl")
    hints = tmp_path / "root.hints"
    hints.write_text(". 3600 NS a.root.lab.\na.root.lab. 3600 A 127.1.0.1\n")
    conf = tmp_path / "portcullis.conf"
    conf.write_text("server:\n"
                    "    interface: 127.0.0.53\n"
                    "    control-socket: %s\n"
                    "    socket-pool-size: 50\n"
                    "    socket-pool-range: 60000-60999\n"
                    "    do-ip6: no\n"
                    "    root-hints: %s\n"
                    "    do-not-query-localhost: no\n" % (sock, hints))
    p = subprocess.Popen([daemon, "-c", str(conf)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while True:
            r = subprocess.run([ctl, "-s", sock, "stats"], capture_output=True)
            if r.returncode == 0:
                break
            assert p.poll() is None, "daemon exited: %s" % p.stderr.read()
            assert time.time() < deadline, "daemon not ready"
            time.sleep(0.1)

        doc = tool_json("60000-60999", "--udp")
        mine = [s for s in doc["sockets"]
                if any(o["pid"] == p.pid for o in s["processes"])]
        assert len(mine) == 50, doc["sockets"]
        assert all(s["pool"] == {"daemon": "portcullis", "pid": p.pid} for s in mine)
        assert all(s["family"] == "ip4" for s in mine)
        assert doc["facts"]["free"]["udp"] == 1000 - 50

        # One pool port alone, in the table: says whose pool it is.
        port = mine[0]["local"]["port"]
        assert "pool of portcullis[%d]" % p.pid in run(port).stdout

        # Found by process name; an explicit --control gives the same answer.
        again = tool_json(port, "--control", sock)
        assert again["sockets"][0]["pool"]["pid"] == p.pid

        # A UDP socket of someone else in the range is not a pool socket.
        # UDP only: the range lies in the kernel's ephemeral TCP ports, so
        # earlier tests' connections in TIME_WAIT may share the port.
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        free = next(q for q in range(60000, 61000)
                    if q not in {s["local"]["port"] for s in doc["sockets"]})
        other.bind(("127.0.0.1", free))
        try:
            (s,) = tool_json(free, "--udp")["sockets"]
            assert s["pool"] is None
        finally:
            other.close()
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
