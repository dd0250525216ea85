"""test_client.py - the flowopt package against the real daemon (FLOWOPT_URL):
every method, the error mapping, retries through a proxy that drops the
answer of an ask and of a tell (no sample leaked, no value lost), and
minimize on sphere D=5 with 4 workers. TAP on stdout."""
import http.client
import math
import os
import socket
import sys
import threading
import urllib.parse

import flowopt

n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what), flush=True)
    failed += 0 if cond else 1


class DropProxy:
    """Forwards HTTP to the daemon; when armed for a path suffix, forwards the
    request and then closes the connection without the answer, once."""

    def __init__(self, target):
        u = urllib.parse.urlparse(target)
        self.host, self.port = u.hostname, u.port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.arm, self.dropped = None, 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        f = conn.makefile("rb")
        line = f.readline().decode()
        if not line:
            conn.close()
            return
        method, path, _ = line.split(" ", 2)
        headers = {}
        while True:
            h = f.readline().decode()
            if h in ("\r\n", "\n", ""):
                break
            k, v = h.split(":", 1)
            headers[k.strip()] = v.strip()
        body = f.read(int(headers.get("Content-Length", "0") or 0))
        up = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers.pop("Connection", None)
        up.request(method, path, body=body or None, headers=headers)
        resp = up.getresponse()
        payload = resp.read()
        if self.arm and path.endswith(self.arm):
            self.arm = None  # the daemon did it; the driver never hears
            self.dropped += 1
            conn.close()
            return
        out = "HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                out += "%s: %s\r\n" % (k, v)
        out += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload)
        conn.sendall(out.encode() + payload)
        conn.close()


def main():
    client = flowopt.Client()
    ok(client.health().get("status") == "ok", "Client() from FLOWOPT_URL: health ok")
    run = client.create_run(dim=2, bounds=[(-5, 5), (-5, 5)], direction="minimize",
                            name="py", batch_size=6)
    ok(len(run.id) == 16 and client.run(run.id).id == run.id,
       "create_run and run(id) (%s)" % run.id)
    ok(any(r.id == run.id for r in client.runs()), "runs() lists it")

    s = run.ask(6)
    ok(len(s) == 6 and all(len(x.x) == 2 for x in s) and isinstance(s[0].x[0], float),
       "ask(6): Samples with x as floats")
    r1 = run.tell({s[0].id: 1.0, s[1].id: 2.0})
    r2 = run.tell([(s[2].id, 3.0)])
    s[3].value = 4.0
    s[4].failed, s[4].error = True, "did not converge"
    s[5].lost = True
    r3 = run.tell([s[3], s[4], s[5]])
    ok(r1["accepted"] == 2 and r2["accepted"] == 1 and r3["accepted"] == 3,
       "tell takes {id: value}, [(id, value)] and Samples (value, failed, lost)")
    again = run.ask(1)[0]
    ok(again.reissue_of == s[5].id and again.x == s[5].x,
       "the lost one comes back under a new id")
    again.value = 0.5
    run.tell([again])
    ok(run.best()["value"] == 0.5, "best()")
    h = run.history()
    ok(len(h) == 1 and h.to_csv().startswith("step,"), "history() and .to_csv()")
    ok(len(run.samples()) == 7 and len(run.samples("told")) == 5, "samples(), by status")
    lp = run.log_prob([[0.0, 0.0], [1.0, 1.0]])
    ok(len(lp) == 2 and all(math.isfinite(v) for v in lp), "log_prob(xs)")
    cid = run.checkpoint()
    fork = run.fork(checkpoint=cid, name="forked")
    ok(fork.id != run.id and fork.data["name"] == "forked", "checkpoint() and fork()")
    ok(len(run.export(cid)) > 100, "export(checkpoint): the bytes")
    run.patch(budget=500)
    ok(run.data["config"]["budget"] == 500, "patch(budget=500)")
    held = run.ask(2)
    ok(sorted(p.id for p in run.pending()) == sorted(p.id for p in held),
       "pending(): what was asked and not told")
    run.tell({p.id: 9.0 for p in held})
    ok(run.observe([([0.1, 0.2], 0.125)])["accepted"] == 1 and run.best()["value"] == 0.125,
       "observe([(x, value)])")

    try:
        client.create_run(dim=0)
        ok(False, "dim 0 raises ApiError")
    except flowopt.ApiError as e:
        ok(e.status == 422 and e.field == "dim" and e.title and e.detail,
           "dim 0 raises ApiError(422, field dim): %s" % e.detail)
    try:
        client.run("0000000000000000")
        ok(False, "an unknown run raises ApiError")
    except flowopt.ApiError as e:
        ok(e.status == 404, "an unknown run raises ApiError(404)")
        ok(bool(e.request_id) and len(e.request_id) <= 64,
           "and names the request id the daemon logged it under (%s)" % e.request_id)
    try:
        flowopt.Client(url="http://127.0.0.1:1", retries=2, backoff=0.01).health()
        ok(False, "an unreachable daemon raises NetworkError")
    except flowopt.NetworkError:
        ok(True, "an unreachable daemon raises NetworkError after its retries")

    # a dropped answer: the retried ask returns the same samples (no leak)
    proxy = DropProxy(client.url)
    via = flowopt.Client(url=proxy.url, backoff=0.01)
    pr = via.run(run.id)
    asked = pr.counters["asked"]
    proxy.arm = "/ask"
    got = pr.ask(3)
    c = pr.counters
    ok(proxy.dropped == 1 and len(got) == 3 and c["asked"] == asked + 3 and c["pending"] == 3,
       "an ask whose answer was dropped, retried: the same 3 samples, none leaked "
       "(asked %d -> %d)" % (asked, c["asked"]))
    told = c["told"]
    proxy.arm = "/tell"
    r = pr.tell({x.id: 1.5 for x in got})
    c = pr.counters
    ok(proxy.dropped == 2 and r["duplicates"] == 3 and c["told"] == told + 3,
       "a tell whose answer was dropped, retried: a no-op, every value kept once")

    best = flowopt.minimize(lambda x: sum(v * v for v in x), dim=5, bounds=[(-2, 2)] * 5,
                            budget=4000, workers=4, target=1e-6, progress=False)
    ok(best.value <= 1e-6 and len(best.x) == 5,
       "minimize(sphere, dim=5, workers=4) reaches 1e-6 (%.3g in %d evaluations)"
       % (best.value, best.evaluations))
    top = flowopt.maximize(lambda x: -abs(x[0] - 0.5), dim=1, bounds=[(0, 1)], budget=300,
                           workers=2, progress=False)
    ok(top.value > -1e-3, "maximize (%.3g)" % top.value)

    def sometimes(x):
        if x[0] < 0:
            raise RuntimeError("the circuit did not converge")
        return x[0] * x[0] + x[1] * x[1]

    res = flowopt.minimize(sometimes, dim=2, bounds=[(-1, 1)] * 2, budget=120, workers=3,
                           progress=False)
    failed_n = client.run(res.run_id).counters["failed"]
    ok(failed_n > 0 and res.value >= 0, "an exception in f is told as failed (%d)" % failed_n)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
