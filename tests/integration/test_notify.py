"""systemd's notify protocol (Type=notify): READY=1 with a status naming
the pool once the daemon answers, STOPPING=1 when it stops. The test plays
the service manager: a datagram socket named by NOTIFY_SOCKET."""

import socket

from conftest import READY_TIMEOUT


def read_messages(sock, until, timeout):
    """Datagrams as dicts of KEY=VALUE lines, until one holds the key UNTIL."""
    sock.settimeout(timeout)
    got = []
    while True:
        data = sock.recv(4096).decode()
        msg = dict(line.split("=", 1) for line in data.split("\n") if line)
        got.append(msg)
        if until in msg:
            return got


def test_ready_and_stopping(make_resolver, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        r = make_resolver(start=False, socket_pool_size=12)
        r.start(env={"NOTIFY_SOCKET": path})
        msgs = read_messages(sock, "READY", READY_TIMEOUT)
        ready = msgs[-1]
        assert ready["READY"] == "1"
        assert "socket pool of 12 per address family" in ready["STATUS"], ready
        # It answers by the time it says so.
        assert r.query("www.alpha.lab.", "A").rcode() == 0
        r.stop()
        msgs = read_messages(sock, "STOPPING", 10)
        assert msgs[-1]["STOPPING"] == "1"
    finally:
        sock.close()
