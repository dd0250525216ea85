"""bench_tell.py URL N: one tell of N pending results, timed; a JSON line."""
import json, sys, time, urllib.request
url, N = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"null")
run = call("POST", "/v1/runs", {"dim": 2, "direction": "minimize", "batch_size": 10000})["id"]
ids = []
while len(ids) < N:
    ids += [s["id"] for s in call("POST", f"/v1/runs/{run}/ask", {"n": min(10000, N - len(ids))})["samples"]]
body = {"results": [{"id": i, "value": 1.0} for i in ids]}

t = time.time(); out = call("POST", f"/v1/runs/{run}/tell", body); dt = time.time() - t
print(json.dumps({"bench": "maximal_tell", "results": N, "seconds": round(dt, 3), "accepted": out.get("accepted")}))
