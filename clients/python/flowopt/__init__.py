"""flowopt - the client of flowoptd (standard library only).

    import flowopt
    best = flowopt.minimize(f, dim=5, bounds=[(-2, 2)] * 5, budget=2000, workers=4)

Client(url, token) talks to the daemon; Run.ask / Run.tell drive a run by
hand. Every ask carries an Idempotency-Key, so retrying one after a network
error returns the same samples; tells are retried (a repeat is a no-op on
the daemon); connection errors and 503 are retried with jittered backoff;
problem+json answers raise ApiError.
"""

import concurrent.futures
import csv
import io
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = ["Client", "Run", "Sample", "ApiError", "NetworkError", "Result", "minimize",
           "maximize"]
__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8080"


class ApiError(Exception):
    """The daemon refused a request (problem+json): status, title, detail, field,
    and request_id, the id the daemon logged it under (its X-Request-Id)."""

    def __init__(self, status, title, detail, field=None, type_=None, request_id=None):
        super().__init__("%s %s: %s" % (status, title, detail))
        self.status, self.title, self.detail, self.field, self.type = (
            status, title, detail, field, type_)
        self.request_id = request_id


class NetworkError(Exception):
    """The daemon could not be reached, after every retry."""


class Sample:
    """One asked point: id, x (a list of floats), generation. Set .value, or
    .failed (with .error) or .lost, and tell it; .stderr, .shots, .cost,
    .metadata and .metrics go along when set."""

    def __init__(self, id, x, generation=0, log_prob=None, reissue_of=None):
        self.id, self.x, self.generation = str(id), list(x), generation
        self.log_prob, self.reissue_of = log_prob, reissue_of
        self.value = None
        self.failed = False
        self.lost = False
        self.error = None
        self.stderr = self.shots = self.cost = self.metadata = self.metrics = None

    def result(self):
        """The tell's entry for this sample."""
        r = {"id": self.id}
        if self.lost:
            r["status"] = "lost"
        elif self.failed:
            r["status"] = "failed"
            if self.error:
                r["error"] = str(self.error)
        else:
            if self.value is None:
                raise ValueError("sample %s has no value, and is neither failed nor lost"
                                 % self.id)
            r["value"] = float(self.value)
            for key in ("stderr", "shots"):
                if getattr(self, key) is not None:
                    r[key] = getattr(self, key)
        for key in ("cost", "metadata", "metrics"):
            if getattr(self, key) is not None:
                r[key] = getattr(self, key)
        return r

    def __repr__(self):
        return "Sample(id=%r, x=%r, generation=%r)" % (self.id, self.x, self.generation)


class History(list):
    """The history rows (dicts), oldest first."""

    def to_csv(self):
        if not self:
            return ""
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=list(self[0].keys()), lineterminator="\n")
        w.writeheader()
        for row in self:
            w.writerow({k: (",".join(v) if isinstance(v, list) else v)
                        for k, v in row.items()})
        return out.getvalue()


class Client:
    """A connection to flowoptd: url (FLOWOPT_URL, else 127.0.0.1:8080) and
    token (FLOWOPT_TOKEN), retries for connection errors and 503."""

    def __init__(self, url=None, token=None, timeout=60.0, retries=8, backoff=0.05):
        self.url = (url or os.environ.get("FLOWOPT_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("FLOWOPT_TOKEN")
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    # -- requests --

    def request(self, method, path, body=None, headers=None, raw=False):
        """One request, retried on connection errors and 503 (the same body and
        headers: an ask keeps its Idempotency-Key). Returns the parsed JSON (or
        the bytes with raw); raises ApiError for a problem, NetworkError when
        the daemon stays unreachable."""
        data = None
        hdrs = {"Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs["Content-Type"] = ("application/octet-stream" if isinstance(body, bytes)
                                    else "application/json")
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        hdrs.update(headers or {})
        last = None
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url + path, data=data, headers=hdrs,
                                         method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = resp.read()
                return payload if raw else (json.loads(payload) if payload else None)
            except urllib.error.HTTPError as e:
                payload = e.read()
                if e.code == 503 and attempt < self.retries:
                    last = e
                else:
                    raise _problem(e.code, payload, e.headers.get("X-Request-Id")) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                last = e
            if attempt < self.retries:
                time.sleep(self.backoff * (2 ** attempt) * (0.5 + random.random()))
        raise NetworkError("%s %s: %s" % (method, path, last))

    # -- runs --

    def create_run(self, dim, bounds=None, direction="minimize", **settings):
        """A new run. bounds: [(lo, hi)] * dim, or (lo, hi) for every coordinate;
        settings: any run setting by its API name (optimizer={...}, name=...)."""
        body = {"dim": int(dim), "direction": direction}
        if bounds is not None:
            if len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds):
                body["bounds"] = {"lo": bounds[0], "hi": bounds[1]}
            else:
                body["bounds"] = [[float(lo), float(hi)] for lo, hi in bounds]
        body.update(settings)
        return Run(self, self.request("POST", "/v1/runs", body))

    def run(self, id):
        return Run(self, self.request("GET", "/v1/runs/" + _quote(id)))

    def runs(self):
        """Every run, a page at a time."""
        out, cursor = [], None
        while True:
            q = "?limit=1000" + ("&cursor=" + _quote(cursor) if cursor else "")
            page = self.request("GET", "/v1/runs" + q)
            out += [Run(self, r) for r in page.get("runs", [])]
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    def health(self):
        return self.request("GET", "/v1/health")


class Run:
    """One run: ask and tell, and everything the daemon keeps of it."""

    def __init__(self, client, data):
        self.client = client
        self.data = data
        self.id = data["id"]

    def _path(self, tail=""):
        return "/v1/runs/" + _quote(self.id) + tail

    def refresh(self):
        self.data = self.client.request("GET", self._path())
        return self.data

    @property
    def state(self):
        return self.refresh()["state"]

    @property
    def stop_reason(self):
        return self.refresh()["stop_reason"]

    @property
    def counters(self):
        return self.refresh()["counters"]

    def ask(self, n=1, client_id=None, lease_s=None, resume=False):
        """n samples; the Idempotency-Key makes a retried ask return the same ones."""
        body = {"n": int(n)}
        headers = {}
        if client_id is not None:
            body["client_id"] = client_id
        if lease_s is not None:
            body["lease_s"] = lease_s
        if resume:
            body["resume"] = True
        else:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        r = self.client.request("POST", self._path("/ask"), body, headers)
        return [Sample(s["id"], s["x"], s.get("generation", 0), s.get("log_prob"),
                       s.get("reissue_of")) for s in r["samples"]]

    def tell(self, results, client_id=None):
        """results: {id: value}, [(id, value)], or Sample objects (with .value,
        .failed or .lost). Returns the daemon's answer (accepted, duplicates,
        updates, wanted)."""
        if isinstance(results, dict):
            entries = [{"id": str(k), "value": float(v)} for k, v in results.items()]
        else:
            entries = []
            for r in results:
                if isinstance(r, Sample):
                    entries.append(r.result())
                elif isinstance(r, dict):
                    entries.append(r)
                else:
                    i, v = r
                    entries.append({"id": str(i), "value": float(v)})
        body = {"results": entries}
        if client_id is not None:
            body["client_id"] = client_id
        return self.client.request("POST", self._path("/tell"), body)

    def best(self):
        return self.client.request("GET", self._path("/best"))

    def history(self):
        rows, after = History(), 0
        while True:
            page = self.client.request("GET", self._path("/history?limit=10000&after=%d"
                                                         % after))
            steps = page.get("steps", [])
            rows += steps
            if len(steps) < 10000:
                return rows
            after = steps[-1]["step"]

    def samples(self, status=None):
        out, cursor = [], None
        while True:
            q = "?limit=10000" + ("&status=" + status if status else "")
            q += "&cursor=" + _quote(cursor) if cursor else ""
            page = self.client.request("GET", self._path("/samples" + q))
            out += page.get("samples", [])
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    def pending(self):
        """The samples asked and not yet told: after a crash, measure or tell them."""
        return [Sample(s["id"], s["x"], s.get("generation", 0), s.get("log_prob"),
                       s.get("reissue_of")) for s in self.samples("pending")]

    def log_prob(self, xs):
        r = self.client.request("POST", self._path("/log_prob"),
                                {"x": [list(map(float, x)) for x in xs]})
        return r["log_prob"]

    def observe(self, points):
        """points: [(x, value)] the run did not ask for (a warm start)."""
        body = {"observations": [{"x": list(map(float, x)), "value": float(v)}
                                 for x, v in points]}
        return self.client.request("POST", self._path("/observations"), body)

    def checkpoint(self):
        return self.client.request("POST", self._path("/checkpoints"))["id"]

    def export(self, checkpoint):
        return self.client.request("GET", self._path("/checkpoints/%s/export"
                                                     % _quote(checkpoint)), raw=True)

    def fork(self, checkpoint=None, name=None):
        body = {}
        if checkpoint is not None:
            body["checkpoint"] = str(checkpoint)
        if name is not None:
            body["name"] = name
        return Run(self.client, self.client.request("POST", self._path("/fork"), body))

    def patch(self, **settings):
        self.data = self.client.request("PATCH", self._path(), settings)
        return self

    def delete(self):
        self.client.request("DELETE", self._path())


class Result:
    """What minimize and maximize return: x, value, run_id, evaluations."""

    def __init__(self, x, value, run_id, evaluations):
        self.x, self.value, self.run_id, self.evaluations = x, value, run_id, evaluations

    def __repr__(self):
        return "Result(value=%r, x=%r, run_id=%r, evaluations=%r)" % (
            self.value, self.x, self.run_id, self.evaluations)


def minimize(f, dim, bounds=None, budget=1000, workers=1, url=None, token=None,
             target=None, client=None, progress=None, **settings):
    """The loop in one call: a run of dim coordinates in bounds, f(x) evaluated
    for every sample with `workers` in flight on a thread pool, until the
    budget or the target. Ctrl-C stops asking, tells what finished, and
    raises KeyboardInterrupt. Returns Result(x, value, run_id, evaluations)."""
    return _optimize(f, dim, bounds, budget, workers, url, token, target, client,
                     progress, "minimize", settings)


def maximize(f, dim, bounds=None, budget=1000, workers=1, url=None, token=None,
             target=None, client=None, progress=None, **settings):
    """minimize, for the largest f."""
    return _optimize(f, dim, bounds, budget, workers, url, token, target, client,
                     progress, "maximize", settings)


def _optimize(f, dim, bounds, budget, workers, url, token, target, client, progress,
              direction, settings):
    client = client or Client(url, token)
    if target is not None:
        settings["target"] = target
    run = client.create_run(dim, bounds, direction, budget=int(budget), **settings)
    show = progress if progress is not None else sys.stderr.isatty()
    told, t0, best = 0, time.time(), None
    workers = max(1, int(workers))

    def evaluate(s):
        try:
            s.value = float(f(s.x))
        except Exception as e:  # the point is bad: told as failed
            s.failed, s.error = True, "%s: %s" % (type(e).__name__, e)
        return s

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    running = set()
    stopped = False
    try:
        while True:
            if not stopped and told + len(running) < budget:
                want = max(1, min(workers - len(running), budget - told - len(running)))
                if want > 0 and len(running) < workers:
                    for s in run.ask(want):
                        running.add(pool.submit(evaluate, s))
            if not running:
                break
            done, _ = concurrent.futures.wait(running,
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            running -= done
            finished = [d.result() for d in done]
            run.tell(finished)
            told += len(finished)
            for s in finished:
                if not s.failed and (best is None or
                                     (s.value < best if direction == "minimize"
                                      else s.value > best)):
                    best = s.value
            if show:
                rate = told / max(time.time() - t0, 1e-9)
                sys.stderr.write("\r%d evaluations, best %.6g, %.1f/s " % (
                    told, best if best is not None else float("nan"), rate))
            if not stopped and run.stop_reason != "none":
                stopped = True
    except KeyboardInterrupt:
        # tell what finished, leave the rest pending (run.pending() has them)
        done = [fu for fu in running if fu.done()]
        if done:
            run.tell([d.result() for d in done])
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if show:
            sys.stderr.write("\n")
    pool.shutdown(wait=True)
    b = run.best()
    return Result(b.get("x"), b.get("value"), run.id, told)


def _problem(status, payload, request_id=None):
    try:
        p = json.loads(payload)
    except ValueError:
        p = {}
    return ApiError(status, p.get("title", "error"), p.get("detail", payload[:200]),
                    p.get("field"), p.get("type"), request_id)


def _quote(s):
    return urllib.parse.quote(str(s), safe="")
