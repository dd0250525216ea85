"""slow_clients.py URL slow N | URL limit N: against a real flowoptd, TAP.

slow N:

1,500 sockets from 127.0.0.1 each send a request line and then one header
byte a second, never finishing; meanwhile a normal client on 127.0.0.2 asks
and tells. Every one of its requests must be answered, the slow sockets must
be cut once the daemon's --header-timeout passes (a trickle does not extend
it).

limit N (the daemon's --max-connections): past N connections a request
gets a 503 problem, and once they close, an answer again.
"""
import http.client
import json
import resource
import socket
import sys
import time

URL = sys.argv[1]
HOST, PORT = URL.split("//")[1].split(":")
PORT = int(PORT)
MODE, COUNT = sys.argv[2], int(sys.argv[3])
n = failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    failed += not cond
    print(f"{'ok' if cond else 'not ok'} {n} - {what}", flush=True)


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, COUNT + 512), hard))


def connect(source):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(2)
    s.connect((HOST, PORT))
    s.setblocking(False)
    return s


def alive(s):
    """False once the daemon has closed (or reset) the socket."""
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def normal(method, path, body=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=5, source_address=("127.0.0.2", 0))
    try:
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    except OSError as e:
        return 0, str(e)
    finally:
        c.close()


def slowloris(SLOW):
    slow = []
    for i in range(SLOW):
        try:
            s = connect("127.0.0.1")
            s.send(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(s)
        except OSError:
            pass
    ok(len(slow) >= SLOW * 0.9, f"{len(slow)} of {SLOW} slow connections opened from 127.0.0.1")

    status, run = normal("POST", "/v1/runs", {"dim": 2, "direction": "minimize"})
    answered = int(status == 201)
    run_id = run["id"] if status == 201 else "none"
    t0 = time.time()
    for k in range(35):
        if k % 2:
            status, a = normal("POST", f"/v1/runs/{run_id}/ask", {"n": 2})
            if status == 200:
                status, _ = normal("POST", f"/v1/runs/{run_id}/tell", {"results": [
                    {"id": p["id"], "value": sum(v * v for v in p["x"])} for p in a["samples"]]})
        else:
            status, _ = normal("GET", "/v1/health")
        answered += status in (200, 201)
        for s in slow:  # the trickle: a byte a second on every slow socket
            try:
                s.send(b"X")
            except OSError:
                pass
        time.sleep(max(0, (k + 1) * 0.12 - (time.time() - t0)))
    ok(answered == 36, f"the normal client got {answered} of 36 answers while they trickled")

    held = sum(alive(s) for s in slow)
    deadline = time.time() + 20
    while held and time.time() < deadline:
        for s in slow:
            try:
                s.send(b"X")
            except OSError:
                pass
        time.sleep(0.5)
        held = sum(alive(s) for s in slow)
    ok(held == 0, f"every slow connection is cut after the header timeout ({held} still open)")
    for s in slow:
        s.close()


def past_limit(limit):
    idle = [connect(f"127.0.1.{1 + i % 200}") for i in range(limit + 10)]
    status, body = normal("GET", "/v1/health")
    ok(status == 503 and "connections" in str(body),
       f"past {limit} connections a request gets a 503 problem ({status} {body})")
    for s in idle:
        s.close()
    time.sleep(0.5)
    status, _ = normal("GET", "/v1/health")
    ok(status == 200, f"and once they close, 200 again ({status})")


if MODE == "slow":
    slowloris(COUNT)
else:
    past_limit(COUNT)
print(f"1..{n}")
sys.exit(1 if failed else 0)
