"""evaluator.py - a push-mode evaluator for the tests: POST PATH with
{"run", "samples": [{"id", "x"}]}; the path picks the behaviour:
  /ok       the shifted sphere of each x
  /slow     sleeps 5 s first (past a short timeout)
  /500      answers HTTP 500
  /garbage  answers 200 with no JSON
  /close    closes the connection with no answer
  /partial  leaves the second half of the samples out
GET /calls?run=ID answers how many calls that run made. Prints its port
on the first line of stdout."""
import http.server
import json
import socketserver
import sys
import threading
import time
import urllib.parse

calls = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        with lock:
            n = calls.get(q.get("run", [""])[0], 0)
        self.reply(200, json.dumps({"calls": n}))

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with lock:
            calls[body["run"]] = calls.get(body["run"], 0) + 1
        path = urllib.parse.urlparse(self.path).path
        samples = body["samples"]
        if path == "/slow":
            time.sleep(5)
        if path == "/500":
            return self.reply(500, '{"error": "instrument offline"}')
        if path == "/garbage":
            return self.reply(200, "this is not json")
        if path == "/close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if path == "/partial":
            samples = samples[: len(samples) // 2]
        results = [{"id": s["id"], "value": (s["x"][0] - 1) ** 2 + sum(v * v for v in s["x"][1:])}
                   for s in samples]
        self.reply(200, json.dumps({"results": results}))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
