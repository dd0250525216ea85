"""fake_systemd.py - stand in for systemd's service manager: a datagram
socket at NOTIFY_SOCKET, flowoptd started with it and a watchdog period,
and what it sends, checked. TAP on stdout.

    python3 fake_systemd.py FLOWOPTD DB
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

n = 0
failed = 0


def ok(cond, text):
    global n, failed
    n += 1
    failed += not cond
    print(("ok" if cond else "not ok"), n, "-", text)


def main():
    flowoptd, db = sys.argv[1], sys.argv[2]
    path = os.path.join(tempfile.mkdtemp(), "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.1)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
    err = open(db + ".log", "w")
    proc = subprocess.Popen([flowoptd, "--init", "--listen", "127.0.0.1:0", "--db", db],
                            env=env, stderr=err)
    got = []  # (time, message)
    t0 = time.monotonic()

    def collect(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                got.append((time.monotonic() - t0, sock.recv(4096).decode()))
            except socket.timeout:
                pass

    start = time.monotonic()  # a loaded machine may start it slowly
    while time.monotonic() - start < 20 and not any("READY=1" in m for t, m in got):
        collect(0.1)
    got[:] = [(t, m) for t, m in got if "READY=1" in m]
    collect(1.5)
    listening = open(db + ".log").readline().startswith("listening on")
    ready = [t for t, m in got if "READY=1" in m]
    ok(ready and listening, "READY=1 once it listens (%.2f s)" % (ready[0] if ready else -1))
    pings = [t for t, m in got if "WATCHDOG=1" in m]
    ok(len(pings) >= 8, "WATCHDOG=1 every half period of 200 ms (%d in 1.5 s)" % len(pings))
    ok(all("STATUS=serving" in m for t, m in got if "WATCHDOG=1" in m),
       "each ping says its status: serving")
    proc.send_signal(signal.SIGSTOP)  # wedged: no pings
    collect(0.1)  # what was sent before it stopped
    got.clear()
    collect(0.6)
    ok(not any("WATCHDOG=1" in m for t, m in got), "a stopped daemon sends none (systemd restarts it)")
    proc.send_signal(signal.SIGCONT)
    got.clear()
    proc.send_signal(signal.SIGTERM)
    collect(0.5)
    ok(any("STOPPING=1" in m for t, m in got), "STOPPING=1 at SIGTERM")
    ok(proc.wait(timeout=10) == 0, "and it exits 0")
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
