#!/usr/bin/python3
"""Open many sockets for the portcullis-port benchmark and keep them open.

usage: hold.py TOTAL FIRST_PORT
Opens TOTAL/2 UDP sockets and TOTAL/2 listening TCP sockets on 127.0.0.1,
ports FIRST_PORT upwards, spread over several processes because one process
may hold only RLIMIT_NOFILE descriptors (its hard limit cannot be raised
without privilege outside the namespace). Prints "ready" once all are open,
then holds them until stdin closes.
"""
import os
import resource
import socket
import sys

PER_PROC = 5000


def hold(kind_ports):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = len(kind_ports) + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            sys.exit("RLIMIT_NOFILE hard limit %d is below %d" % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    keep = []
    for kind, port in kind_ports:
        if kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", port))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(1)
        keep.append(s)
    return keep


def main():
    total, first = int(sys.argv[1]), int(sys.argv[2])
    half = total // 2
    work = [("udp", first + i) for i in range(half)] + \
           [("tcp", first + i) for i in range(total - half)]
    children = []
    for i in range(0, len(work), PER_PROC):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            keep = hold(work[i:i + PER_PROC])
            os.write(w, b"k")
            os.close(w)
            sys.stdin.read()            # parent's stdin: closes when the bench ends
            del keep
            os._exit(0)
        os.close(w)
        if os.read(r, 1) != b"k":
            sys.exit("a holder failed")
        os.close(r)
        children.append(pid)
    print("ready", flush=True)
    sys.stdin.read()
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
