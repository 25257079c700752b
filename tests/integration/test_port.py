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
                                  ["53", "54"], [], ["-1"], ["1-70000"], ["--like"],
                                  ["0"], ["dns"], ["53/sctp"], ["53,,80"], ["53/udp", "--tcp"],
                                  ["53,domain"], ["domian/tcp"]])
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
        assert all(s["pool"]["daemon"] == "portcullis" and s["pool"]["pid"] == p.pid
                   for s in mine)
        assert all(s["family"] == "ip4" for s in mine)
        assert doc["facts"]["free"]["udp"] == 1000 - 50

        # One pool port alone, in the table: says whose pool it is.
        port = mine[0]["local"]["port"]
        assert "pool socket of portcullis[%d]" % p.pid in run(port).stdout

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


# ---- the forms people type --------------------------------------------------

def socket_keys(doc):
    return sorted((s["proto"], s["family"], s["local"]["port"]) for s in doc["sockets"])


def test_input_forms_select_port_and_transport(holder):
    h = holder([["udp4", 61501], ["tcp4-listen", 61501], ["udp4", 61502],
                ["tcp4-listen", 61503], ["udp6", 61504]])
    both = [("tcp", "ip4", 61501), ("udp", "ip4", 61501)]
    assert socket_keys(tool_json(61501)) == both
    # ":53" as lsof and ss write it.
    doc = tool_json(":61501")
    assert doc["query"]["kind"] == "port" and socket_keys(doc) == both
    # "53/udp" (services(5)) and "udp/53" (nmap): the transport comes with the port.
    for spec in ("61501/udp", "udp/61501", ":61501/udp", "61501/UDP"):
        doc = tool_json(spec)
        assert doc["query"]["transport"] == "udp", spec
        assert socket_keys(doc) == [("udp", "ip4", 61501)], spec
    for spec in ("61501/tcp", "tcp/61501"):
        assert socket_keys(tool_json(spec)) == [("tcp", "ip4", 61501)], spec
    assert "Port 61501/udp" in run("61501/udp").stdout
    # The same transport as an option agrees; a different one is an error.
    assert socket_keys(tool_json("61501/udp", "--udp")) == [("udp", "ip4", 61501)]
    r = run("61501/udp", "--tcp", check_rc=2)
    assert "one transport" in r.stderr and len(r.stderr.splitlines()) == 1
    # A range with a colon, and ranges that start at 0 do not list every
    # unconnected socket (their peer port is 0).
    assert socket_keys(tool_json(":61500-61504")) == sorted(
        both + [("udp", "ip4", 61502), ("tcp", "ip4", 61503), ("udp", "ip6", 61504)])
    low = tool_json("0-1000", "--udp")
    assert all(s["local"]["port"] <= 1000 or 1 <= s["peer"]["port"] <= 1000
               for s in low["sockets"]), low["sockets"]
    assert h.pid


def test_port_list_answers_each_port(holder):
    holder([["udp4", 61511], ["tcp4-listen", 61512]])
    doc = tool_json("61511,61512/tcp,61513")
    assert doc["query"]["kind"] == "list"
    assert [(i["low"], i["transport"]) for i in doc["query"]["items"]] == \
        [(61511, "tcp+udp"), (61512, "tcp"), (61513, "tcp+udp")]
    answers = doc["answers"]
    assert [a["query"]["low"] for a in answers] == [61511, 61512, 61513]
    assert socket_keys(answers[0]) == [("udp", "ip4", 61511)]
    assert socket_keys(answers[1]) == [("tcp", "ip4", 61512)]
    assert socket_keys(answers[2]) == []
    assert answers[2]["facts"]["free"] == {"tcp": 1, "udp": 1}
    # The registry per port: 53,80,443 are domain, http and https.
    well = tool_json("53,80,443")["answers"]
    assert [{r["service"] for r in a["registry"]} >= {want}
            for a, want in zip(well, ("domain", "http", "https"))] == [True] * 3
    text = run("61511,61512/tcp,61513").stdout
    assert "Port 61511\n" in text and "Port 61512/tcp\n" in text and "Port 61513\n" in text


def test_service_name_shows_sockets_on_its_ports(lab, holder):
    # domain is port 53: the lab's NSD instances listen there, as lsof -i :domain shows.
    doc = tool_json("domain")
    assert doc["query"]["kind"] == "service"
    assert {(p["low"], p["transport"]) for p in doc["ports"]} == {(53, "tcp+udp")}
    norm = lambda rows: sorted((a, b, c, tuple(sorted(d))) for a, b, c, d in rows)
    # the two listings are taken one after the other: a connection of the
    # lab's own checks may open or leave TIME_WAIT between them, so a
    # difference must persist over a few fresh pairs to count
    for _ in range(5):
        got = norm(tool_sockets(doc))
        want = norm(ss_sockets(53))
        if got == want:
            break
        doc = tool_json("domain")
    assert got and got == want
    cmds = {p["command"] for s in doc["sockets"] for p in s["processes"]}
    assert any(c.startswith("nsd") for c in cmds), cmds
    tcp = tool_json("domain/tcp")
    assert tcp["query"]["transport"] == "tcp"
    assert {r["transport"] for r in tcp["registry"]} == {"tcp"}
    assert tcp["sockets"] and {s["proto"] for s in tcp["sockets"]} == {"tcp"}
    norm = lambda rows: sorted((a, b, c, tuple(sorted(d))) for a, b, c, d in rows)
    assert norm(tool_sockets(tcp)) == norm(x for x in ss_sockets(53) if x[0] == "tcp")
    text = run("udp/domain").stdout
    assert "Sockets on 53/udp (" in text and "nsd" in text
    # A service on a free port: its registry lines and an empty socket list.
    holder([["udp4", 4500]])
    ipsec = tool_json("ipsec-nat-t")
    assert [(s["proto"], s["local"]["port"]) for s in ipsec["sockets"]] == [("udp", 4500)]


def test_unknown_name_suggests_closest():
    r = run("dns", check_rc=2)
    (line,) = r.stderr.splitlines()
    assert line.startswith("portcullis-port: no service named 'dns'")
    # dns is how people say the Domain Name Server: domain comes first.
    assert "closest: domain (53)" in line, line
    assert "--like dns" in line
    r = run("domian", check_rc=2)
    assert "closest: domain (53)" in r.stderr
    r = run("htpp/tcp", check_rc=2)
    assert "closest: http (80)" in r.stderr
    # --like dns searches descriptions: the DNS-related services.
    like = tool_json("--like", "dns")
    assert {"domain-s", "dnsix"} <= {x["service"] for x in like["registry"]}


def test_port_zero_gets_a_sentence():
    r = run("0", check_rc=2)
    (line,) = r.stderr.splitlines()
    assert "port 0 is never in use" in line and "ephemeral" in line
    assert r.stdout == ""


# ---- 80 columns ---------------------------------------------------------------

def widest(text):
    return max(len(l) for l in text.splitlines())


def test_default_output_fits_80_columns(lab, holder, make_resolver):
    r = make_resolver(socket_pool_size=40, socket_pool_range="62000-62999", do_ip6=False)
    assert r.query("www.alpha.lab").answer
    used = [s["port"] for s in r.pool()["sockets"] if s["sent"]]
    assert used
    # A dual-stack listener and a long-named holder make the widest rows.
    holder([["tcp-dual", 62999], ["udp6", 62998]], comm="a-long-command-n")
    cases = [[str(used[0])], ["62000-62999"], ["domain"], ["62998,62999,53"],
             ["--like", "dns"], ["4500"]]
    for args in cases:
        text = run(*args).stdout
        assert widest(text) <= 80, (args, [l for l in text.splitlines() if len(l) > 80])
    # The pool port's answer is long: in --wide it is one line per socket,
    # wider than 80, which is what the default folds.
    wide = run(used[0], "-w").stdout
    assert widest(wide) > 80
    sock_lines = [l for l in wide.splitlines() if l.lstrip().startswith("udp ")]
    assert len(sock_lines) == 1 and "recent peers" in sock_lines[0]
    narrow = run(used[0]).stdout
    assert "recent peers" in narrow


# ---- --all-netns: honest about what it could not see -------------------------

def test_all_netns_unprivileged_says_what_it_missed(holder):
    if not shutil.which("setpriv") or not shutil.which("unshare"):
        pytest.skip("setpriv/unshare (util-linux) not installed")
    nocaps = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
    # A namespace held by a process without capabilities: we may read its
    # namespace link (same uid, no more capabilities than us) but, without
    # CAP_SYS_ADMIN, not enter it.
    holder([["udp4", 61601]], prefix=["unshare", "-n"] + nocaps)
    r = subprocess.run(nocaps + [TOOL, "61601", "--all-netns", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["sockets"] == []
    assert doc["netns_search"]["not_entered"] >= 1
    assert any("could not be entered" in w and "Operation not permitted" in w
               and "CAP_SYS_ADMIN" in w for w in doc["warnings"]), doc["warnings"]
    text = subprocess.run(nocaps + [TOOL, "61601", "--all-netns"],
                          capture_output=True, text=True).stdout
    assert "Sockets (0), incomplete" in text
    assert "could not be entered" in text.replace("\n", " ")
    # With the capability the same namespace is entered and its socket found.
    doc = tool_json(61601, "--all-netns")
    assert len(doc["sockets"]) == 1


def test_all_netns_counts_processes_it_cannot_read():
    # The tests run in a user namespace: processes outside it (the host's,
    # the make that started us) have namespaces we may not even read.
    outside = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            os.stat("/proc/%s/ns/net" % pid)
        except PermissionError:
            outside += 1
        except OSError:
            pass
    if outside == 0:
        pytest.skip("every process's namespace is readable here")
    doc = tool_json(61602, "--all-netns")
    assert doc["netns_search"]["unreadable_processes"] >= 1
    assert any("could not be read" in w and "CAP_SYS_PTRACE" in w for w in doc["warnings"])


def test_all_netns_labels_namespaces_by_pid_and_ip_netns_name(holder):
    if not shutil.which("unshare"):
        pytest.skip("unshare not installed")
    h = holder([["udp4", 61603]], prefix=["unshare", "-n"])
    # `ip netns add` bind-mounts the namespace under /run/netns; do the same
    # in a private mount namespace so that the host's /run is untouched.
    script = ("mount -t tmpfs tmpfs /run && mkdir /run/netns && touch /run/netns/blue && "
              "mount --bind /proc/%d/ns/net /run/netns/blue && exec \"$@\"" % h.pid)
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", TOOL, "61603",
                        "--all-netns", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (s,) = json.loads(r.stdout)["sockets"]
    assert s["netns_name"] == "blue" and s["netns_pid"] == h.pid
    text = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", TOOL, "61603",
                           "--all-netns"], capture_output=True, text=True).stdout
    assert "netns blue (pid %d)" % h.pid in text
    assert str(s["netns"]) not in text          # no inode numbers for people
    # Without a name, the pid names it.
    doc = tool_json(61603, "--all-netns")
    (s,) = doc["sockets"]
    assert s["netns_name"] is None and s["netns_pid"] == h.pid
    assert "netns of pid %d" % h.pid in run(61603, "--all-netns").stdout


# ---- why is this port busy? ---------------------------------------------------

LAB_SERVERS = {"127.1.0.1", "127.1.0.2", "127.2.0.1", "127.2.0.2", "127.10.0.1", "127.10.0.2"}


def test_pool_socket_recent_peers_and_last_use(make_resolver):
    r = make_resolver(socket_pool_size=30, socket_pool_range="63000-63999", do_ip6=False,
                      pool_rotate_uses=0, pool_rotate_seconds=0)
    assert r.query("www.alpha.lab").answer
    assert r.query("mail.alpha.lab", "MX").answer
    pool = r.pool()
    used = [s for s in pool["sockets"] if s["sent"]]
    idle = [s for s in pool["sockets"] if not s["sent"]]
    assert used and idle
    # The daemon's record: peers most recent first, each with its queries.
    for s in used:
        assert s["peers"], s
        assert sum(p["queries"] for p in s["peers"]) == s["sent"]   # <= 4 peers here
        assert all(p["addr"] in LAB_SERVERS and p["port"] == 53 for p in s["peers"]), s
        assert 0 <= s["idle_ms"] < 60000
    assert all(s["peers"] == [] and s["idle_ms"] is None for s in idle)
    # portcullis-port shows the same, for the port alone.
    s = max(used, key=lambda x: x["sent"])
    (sock,) = tool_json(s["port"], "--udp")["sockets"]
    got = sock["pool"]
    assert got["pid"] == r.pid and got["sent"] == s["sent"]
    assert got["peers"] == s["peers"]
    assert got["idle_ms"] >= s["idle_ms"]
    text = run(s["port"]).stdout
    flat = " ".join(text.split())
    queries = "query" if s["sent"] == 1 else "queries"
    assert "In use UDP socket of portcullis[%d], pool socket, %d %s sent, the last" % (
        r.pid, s["sent"], queries) in flat, text
    first = s["peers"][0]
    assert "to %s:53" % first["addr"] in flat
    assert "recent peers %s:53 (%d)" % (first["addr"], first["queries"]) in flat
    (sock,) = tool_json(idle[0]["port"], "--udp")["sockets"]
    assert sock["pool"]["idle_ms"] is None and sock["pool"]["peers"] == []
