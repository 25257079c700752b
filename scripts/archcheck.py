#!/usr/bin/python3
"""Architecture checks, run by ctest (hence by make test and CI).

  archcheck.py includes SRCDIR
      The #include rules of the layers (../shared/DESIGN.md):
        util <- wire <- cache <- core <- net <- daemon
      a file of one layer includes only headers of its own layer or of a
      layer below it; src/port and src/ctl (programs of their own) include
      only util/ and themselves; a module's private header (PRIVATE below,
      and any */internal.h or *_int.h) is included only by the files it
      serves, in src/ as in tests/, fuzz/ and bench/.

  archcheck.py cycles SRCDIR BUILDDIR
      No cycle between files, in two graphs:
        - includes: file A includes file B;
        - references: A.o has an undefined symbol that B.o defines (read
          with nm from the objects of BUILDDIR, which must not be
          link-time-optimised objects), i.e. A calls B or uses its data.
      Every strongly connected component of more than one file is reported,
      except the pairs of ALLOWED_CYCLES. The reference graph is also
      checked against the layers: no object uses a symbol of a higher
      layer's object.

Exit status 0 when every rule holds, 1 with one line per violation
otherwise, 2 on a usage error.
"""
import os
import re
import subprocess
import sys

LAYERS = ["util", "wire", "cache", "core", "net", "daemon"]
RANK = {name: i for i, name in enumerate(LAYERS)}
# Programs beside the resolver: they may use util/ and their own files.
STANDALONE = {"port", "ctl"}

# header -> path prefixes of the files allowed to include it
PRIVATE = {
    "core/internal.h": ["src/core/"],
    # the server's files; the control verbs: ctlcmd.c's table and the verbs'
    # own files (daemon/ctl_*.c: ctl_conf.c, ctl_local.c); stats.c; reload.c
    "daemon/server_int.h": ["src/daemon/server", "src/daemon/ctlcmd.c", "src/daemon/ctl_",
                            "src/daemon/stats.c", "src/daemon/reload.c"],
    "daemon/config_int.h": ["src/daemon/config"],
    # the upstream module's files share src/net/ with the pool, the listener...
    "net/upstream_int.h": ["src/net/upstream.c", "src/net/up_"],
}

# Cycles known and owned elsewhere, each one explicitly: a component made of
# exactly these files is not reported. Remove an entry once its cycle is
# broken (the check then keeps it broken).
ALLOWED_CYCLES = [
    # None: every file dependency points one way. An entry (a frozenset of
    # paths) would exempt one group while it is being taken apart.
]

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
SOURCE_EXT = (".c", ".h")


def rel(root, path):
    return os.path.relpath(path, root).replace(os.sep, "/")


def source_files(root, tops):
    out = []
    for top in tops:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXT):
                    out.append(rel(root, os.path.join(dirpath, f)))
    return out


def includes_of(root, path):
    """The quoted includes of a file, resolved to paths relative to root,
    with their line numbers."""
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    found = []
    for m in INCLUDE_RE.finditer(text):
        name = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        here = os.path.dirname(path)
        for cand in (os.path.join("src", name), os.path.join(here, name)):
            cand = os.path.normpath(cand).replace(os.sep, "/")
            if os.path.isfile(os.path.join(root, cand)):
                found.append((line, name, cand))
                break
        else:
            found.append((line, name, None))
    return found


def module_of(path):
    """('src', 'core') for src/core/iter.c; ('tests', None) elsewhere."""
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def is_private(target):
    base = os.path.basename(target)
    return target in PRIVATE or base == "internal.h" or base.endswith("_int.h")


def private_allowed(includer, target):
    header = target[len("src/"):] if target.startswith("src/") else target
    if header in PRIVATE:
        return any(includer.startswith(p) for p in PRIVATE[header])
    # generic: only the header's own directory
    return os.path.dirname(includer) == os.path.dirname(target)


def check_includes(root):
    errors = []
    files = source_files(root, ["src", "tests", "fuzz", "bench"])
    if not any(f.startswith("src/") for f in files):
        return ["no source files under %s/src" % root]
    for f in files:
        mine = module_of(f)
        for line, name, target in includes_of(root, f):
            if target is None:
                continue  # a system or generated header
            where = "%s:%d: #include \"%s\"" % (f, line, name)
            if is_private(target) and not private_allowed(f, target):
                errors.append("%s: private header of %s" % (where, os.path.dirname(target)))
                continue
            theirs = module_of(target)
            if mine is None or theirs is None or mine == theirs:
                continue
            if mine in STANDALONE:
                if theirs != "util":
                    errors.append("%s: src/%s may include only util/ and its own headers"
                                  % (where, mine))
            elif mine in RANK and theirs in RANK:
                if RANK[theirs] > RANK[mine]:
                    errors.append("%s: %s is below %s and must not include it"
                                  % (where, mine, theirs))
            elif mine in RANK:
                errors.append("%s: the resolver's layers do not include src/%s" % (where, theirs))
    return errors


def sccs(nodes, edges):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def report_cycles(kind, nodes, edges, why):
    errors = []
    for comp in sccs(nodes, edges):
        if len(comp) < 2 or frozenset(comp) in ALLOWED_CYCLES:
            continue
        links = []
        for a in comp:
            for b in sorted(edges.get(a, ())):
                if b in comp:
                    links.append("%s -> %s%s" % (a, b, why(a, b)))
        errors.append("%s cycle between %s:\n    %s" % (kind, ", ".join(comp), "\n    ".join(links)))
    return errors


def objects(root, build):
    """source path (src/...) -> object file, for every object built from a
    source that exists. A source built into several targets (or left over
    from an older layout of the build tree) counts once: its newest object."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(build):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.endswith(".c.o"):
                continue
            full = os.path.join(dirpath, f)
            m = re.search(r"/CMakeFiles/[^/]+\.dir/(src/.+)\.o$", full.replace(os.sep, "/"))
            if not m or not os.path.isfile(os.path.join(root, m.group(1))):
                continue
            src = m.group(1)
            if src not in found or os.path.getmtime(full) > os.path.getmtime(found[src]):
                found[src] = full
    return found


def symbols(objs):
    """object -> (defined global symbols, undefined symbols), one nm for all."""
    out = subprocess.run(["nm", "-g", "-A"] + objs, capture_output=True, text=True,
                         check=True).stdout
    table = {o: (set(), set()) for o in objs}
    for line in out.splitlines():
        obj, _, rest = line.partition(":")
        parts = rest.split()
        if obj not in table:
            continue
        defined, undefined = table[obj]
        if len(parts) == 2 and parts[0] in ("U", "w", "v"):
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] not in ("U", "w", "v"):
            defined.add(parts[2])
    return table


def check_cycles(root, build):
    errors = []
    files = source_files(root, ["src"])
    inc = {f: {t for _, _, t in includes_of(root, f) if t is not None and t != f} for f in files}
    errors += report_cycles("include", files, inc, lambda a, b: "")

    objs = objects(root, build)
    if not objs:
        return errors + ["no object files from src/ under %s: build first" % build]
    table = symbols([objs[src] for src in sorted(objs)])
    undefs, owner = {}, {}
    for src in sorted(objs):
        d, undefs[src] = table[objs[src]]
        for s in d:
            owner.setdefault(s, src)
    if not owner:
        return errors + ["no symbols in the objects of %s (link-time-optimised build?)" % build]
    refs, via = {}, {}
    for src in objs:
        for s in undefs[src]:
            dst = owner.get(s)
            if dst is None or dst == src:
                continue
            refs.setdefault(src, set()).add(dst)
            via.setdefault((src, dst), []).append(s)
    def why(a, b):
        names = sorted(via.get((a, b), []))
        more = ", ..." if len(names) > 3 else ""
        return " (%s%s)" % (", ".join(names[:3]), more)
    errors += report_cycles("call", sorted(objs), refs, why)
    for a, targets in sorted(refs.items()):
        for b in sorted(targets):
            ma, mb = module_of(a), module_of(b)
            if ma in RANK and mb in RANK and RANK[mb] > RANK[ma]:
                errors.append("%s uses %s%s: %s is below %s" % (a, b, why(a, b), ma, mb))
            elif ma in STANDALONE and mb != ma and mb != "util":
                errors.append("%s uses %s%s: src/%s links only util/" % (a, b, why(a, b), ma))
    return errors


def main(argv):
    if len(argv) == 3 and argv[1] == "includes":
        errors = check_includes(argv[2])
        what = "include rules"
    elif len(argv) == 4 and argv[1] == "cycles":
        errors = check_cycles(argv[2], argv[3])
        what = "no include or call cycle"
    else:
        sys.stderr.write("usage: archcheck.py includes SRCDIR | cycles SRCDIR BUILDDIR\n")
        return 2
    for e in errors:
        print(e)
    if errors:
        print("archcheck: %s: %d violation(s)" % (what, len(errors)))
        return 1
    print("archcheck: %s: ok" % what)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
