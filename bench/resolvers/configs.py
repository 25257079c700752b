"""The command line and configuration of every benchmark target, as the
README's settings table describes them (one place, so that the unsigned and
the validating rows differ only where validation needs it)."""

import os
import shutil

CACHE_MB = 256


def resolver_argv(name, addr, kind, w, build, threads=1, pool=None, verbosity=1, hier=None):
    """The command line of a target (its config written to WORKDIR/run/NAME);
    with hier (a Hierarchy) that hierarchy's root hints and, when it is the
    signed one, validation on with its trust anchor."""
    d = os.path.join(w, "run", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    hints = hier.hints if hier else os.path.join(w, "bench.hints")
    anchor = hier.anchor if hier else None
    if kind == "ceiling":
        return [os.path.join(build, "bench", "pc-bench-ceiling"), addr]
    if kind == "portcullis":
        conf = os.path.join(d, "portcullis.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "server:",
                "    interface: %s" % addr,
                "    access-control: 127.0.0.0/8 allow",
                "    root-hints: %s" % hints,
                "    do-ip6: no",
                "    do-not-query-localhost: no",
                "    qname-minimisation: no",
            ] + ([
                # validating rows: the signed hierarchy's root anchor
                '    module-config: "validator iterator"',
                "    trust-anchor-file: %s" % anchor,
            ] if anchor else [
                # the bench hierarchy is unsigned: no validation, as Unbound's row
                '    module-config: "iterator"',
            ]) + [
                "    cache-size: %dm" % CACHE_MB,
                "    so-rcvbuf: 4m", "    so-sndbuf: 4m",
                "    num-threads: %d" % threads,
                "    verbosity: %d" % verbosity,
                "    control-socket: %s/ctl" % d,
            ] + (["    socket-pool-size: %d" % pool] if pool else [])
              + [l.strip() and "    " + l.strip() for l in
                 os.environ.get("PORTCULLIS_EXTRA", "").split(";") if l.strip()]) + "\n")
        return [os.path.join(build, "portcullis"), "-c", conf]
    if kind == "unbound":
        conf = os.path.join(d, "unbound.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "server:",
                "    interface: %s" % addr, "    port: 53",
                "    access-control: 127.0.0.0/8 allow",
                "    root-hints: %s" % hints,
                "    do-ip6: no",
                "    do-not-query-localhost: no",
                "    qname-minimisation: no",
            ] + ([
                '    module-config: "validator iterator"',
                "    trust-anchor-file: %s" % anchor,
            ] if anchor else [
                '    module-config: "iterator"',
            ]) + [
                "    num-threads: %d" % threads,
                "    msg-cache-size: %dm" % (CACHE_MB // 2),
                "    rrset-cache-size: %dm" % (CACHE_MB // 2),
                "    prefetch: no",
                "    so-rcvbuf: 4m", "    so-sndbuf: 4m",
                "    chroot: \"\"", "    username: \"\"",
                "    directory: \"%s\"" % d, "    pidfile: \"\"",
                "    use-syslog: no", "    logfile: \"\"", "    verbosity: 0",
                "remote-control:", "    control-enable: no",
            ]) + "\n")
        return ["unbound", "-d", "-c", conf]
    if kind == "pdns":
        conf = os.path.join(d, "recursor.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "local-address=%s" % addr, "local-port=53",
                "allow-from=127.0.0.0/8",
                "hint-file=%s" % hints,
                "dont-query=",
            ] + ([
                # its Lua config holds the trust anchors (4.8: no YAML yet)
                "dnssec=validate",
                "lua-config-file=%s/recursor.lua" % d,
            ] if anchor else [
                "dnssec=off",
            ]) + [
                "threads=%d" % threads,
                "pdns-distributes-queries=no",
                "qname-minimization=no",
                "max-cache-entries=1000000",
                "max-packetcache-entries=500000",
                "refresh-on-ttl-perc=0",
                "security-poll-suffix=",
                "socket-dir=%s" % d,
                "daemon=no", "write-pid=no", "disable-syslog=yes",
                "loglevel=3", "quiet=yes",
            ]) + "\n")
        if anchor:
            with open(os.path.join(d, "recursor.lua"), "w") as f:
                # the built-in root anchors out, the signed root's DS in
                f.write("clearTA()\naddTA('.', '%s')\n" % hier.ds)
        return ["pdns_recursor", "--config-dir=%s" % d]
    if kind == "kresd":
        conf = os.path.join(d, "config.lua")
        with open(conf, "w") as f:
            f.write("\n".join([
                "-- generated by bench/resolvers/bench.py",
                "log_level('warning')",
                "net.ipv6 = false",
                "net.listen('%s', 53, { kind = 'dns' })" % addr,
                "cache.open(%d * MB, 'lmdb://%s/cache')" % (CACHE_MB, d),
                # Debian's root.key out (the sandbox loads it); the signed
                # root's DS in, read-only (no RFC 5011 updates of the file)
                "trust_anchors.remove('.')",
            ] + (["trust_anchors.add_file('%s', true)" % anchor] if anchor else []) + [
                "modules.load('hints > iterate')",
                "hints.root_file('%s')" % hints,
                "policy.add(policy.all(policy.FLAGS({'ALLOW_LOCAL', 'NO_MINIMIZE'})))",
            ]) + "\n")
        return ["kresd", "-n", "-c", conf, d]
    raise ValueError(kind)
