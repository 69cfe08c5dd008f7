#!/usr/bin/env python3
"""A stand-in for the coordinator's web listener: serves the dashboard (runtime/web/) and
answers the REST API of the coordinator (GET and POST of v1) with made-up but consistent
figures, for working on the dashboard and for its browser tests.

  scripts/lib/dashboard_fixture_server.py [--port N] [--no-actions] [--hostile-names]
                                          [--unreachable] [--web DIR]

The cluster: two nodes, a running job "clickstream-sessions" (a source, a keyed operator and
a sink; one restart after a node was lost, a failed checkpoint among completed ones) and a
finished job "wordcount". Counters and history follow the clock, so every request sees new
values. Prints "listening on http://127.0.0.1:PORT/" once it accepts connections (--port 0,
the default, takes a free port).

  --no-actions     /v1/overview says actions_allowed false and every POST is refused (403)
  --hostile-names  adds a failed job whose name, reason and vertex names hold markup and
                   scripts (the dashboard must show them as text)
  --unreachable    serves the pages but drops every /v1 connection without an answer, as
                   when the coordinator is gone
"""

import argparse
import json
import math
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

METRIC_KEYS = ("records_in", "records_out", "bytes_in", "bytes_out", "records_in_per_s",
               "records_out_per_s", "busy_ratio", "idle_ratio", "backpressured_ratio",
               "queued_batches", "watermark", "watermark_lag_ms", "dead_letters",
               "late_records", "state_entries")

HOSTILE = ('<script>document.body.dataset.pwned="script"</script>'
           '<img src=x onerror="document.body.dataset.pwned=\'img\'">')


def wave(t, period, phase=0.0):
    return math.sin(t / period + phase)


class Vertex:
    """A vertex of the running job: its rates follow slow waves around `rate_in`/`rate_out`."""

    def __init__(self, vid, name, parallelism, rate_in, rate_out, record_bytes, lag_ms,
                 busy, backpressure, state_entries=0, dead_letters=0, late=0, source=False):
        self.id, self.name, self.parallelism = vid, name, parallelism
        self.rate_in, self.rate_out, self.record_bytes = rate_in, rate_out, record_bytes
        self.lag_ms, self.busy, self.backpressure = lag_ms, busy, backpressure
        self.state_entries, self.dead_letters, self.late = state_entries, dead_letters, late
        self.source = source

    def factor(self, t):
        return 1.0 + 0.18 * wave(t, 23.0, self.id) + 0.06 * wave(t, 4.1, 2 * self.id)

    def integral(self, t0, t):
        """The integral of factor() from t0 to t: records so far per unit of rate."""
        def f(x):
            return x - 0.18 * 23.0 * math.cos(x / 23.0 + self.id) \
                - 0.06 * 4.1 * math.cos(x / 4.1 + 2 * self.id)
        return max(0.0, f(t) - f(t0))


class Fixture:
    def __init__(self, actions, hostile):
        self.lock = threading.Lock()
        self.actions = actions
        self.hostile = hostile
        self.started = time.time()
        self.t0 = self.started - 95.0          # the running job started before the server
        self.restart_at = self.t0 + 33.0       # node-2 lost: one restart
        self.restart_down = 0.85
        self.state = "RUNNING"
        self.reason = ""
        self.ended = None
        self.checkpoint_list = []              # periodic and triggered, oldest first
        self.next_periodic = self.t0 + 10.0
        self.periodic = 0
        self.savepoints = [{"id": "2-4", "job_name": "wordcount", "job_id": 2,
                            "checkpoint_id": 4, "taken_unix_s": self.t0 - 2900.0,
                            "bytes": 18432,
                            "path": "/var/lib/nagare/savepoints/2-4"}]
        self.requests = 0
        self.vertices = [
            Vertex(0, "kafka_source(clicks) -> parse_click", 2, 0.0, 48200.0, 180, 220,
                   0.35, 0.12, late=0, source=True),
            Vertex(1, "sessionize(user_id, gap 30 s)", 2, 48200.0, 9400.0, 96, 1250, 0.72,
                   0.0, state_entries=25300, dead_letters=3, late=41),
            Vertex(2, "redis_sink(sessions)", 1, 9400.0, 0.0, 64, 1380, 0.28, 0.0),
        ]
        self.edges = [{"source": 0, "target": 1, "partition": "HASH"},
                      {"source": 1, "target": 2, "partition": "REBALANCE"}]

    # -- the running job ---------------------------------------------------------------

    def end_time(self):
        return self.ended if self.state != "RUNNING" else time.time()

    def down(self, t):
        return self.restart_at <= t < self.restart_at + self.restart_down

    def vertex_metrics(self, v, t, share=1.0, salt=0):
        up = 0.0 if self.down(t) or self.state != "RUNNING" else 1.0
        f = v.factor(t + salt * 7.0) * up
        rin, rout = v.rate_in * f * share, v.rate_out * f * share
        n = v.integral(self.t0, t) * share
        lag = v.lag_ms * (1.0 + 0.3 * wave(t, 11.0, v.id + salt)) if t > self.t0 + 2 else None
        bp = max(0.0, v.backpressure * (1.0 + 0.8 * wave(t, 9.0, salt))) * up
        busy = min(1.0 - bp, v.busy * (1.0 + 0.15 * wave(t, 13.0, salt))) * up
        return {
            "records_in": int(v.rate_in * n), "records_out": int(v.rate_out * n),
            "bytes_in": int(v.rate_in * n * v.record_bytes),
            "bytes_out": int(v.rate_out * n * v.record_bytes),
            "records_in_per_s": round(rin, 1), "records_out_per_s": round(rout, 1),
            "busy_ratio": round(busy, 3), "idle_ratio": round(max(0.0, 1.0 - busy - bp), 3),
            "backpressured_ratio": round(bp, 3),
            "queued_batches": int(max(0, 4 + 4 * wave(t, 3.0, v.id + salt))) if up else 0,
            "watermark": int(t * 1000 - lag) if lag is not None else None,
            "watermark_lag_ms": round(lag) if lag is not None else None,
            "dead_letters": v.dead_letters,
            "late_records": int(v.late * min(1.0, (t - self.t0) / 60.0)),
            "state_entries": int(v.state_entries * share * (1 + 0.02 * wave(t, 17.0, salt))),
        }

    def vertex(self, v, t):
        shares = [0.53, 0.47] if v.parallelism == 2 else [1.0]
        subtasks = []
        for i, share in enumerate(shares):
            subtasks.append({"subtask": i, "node": "node-%d" % (i + 1),
                             "state": "RUNNING" if self.state == "RUNNING" else "FINISHED",
                             "metrics": self.vertex_metrics(v, t, share, i)})
        total = {}
        for k in METRIC_KEYS:
            vals = [s["metrics"][k] for s in subtasks]
            if k in ("busy_ratio", "idle_ratio", "backpressured_ratio", "watermark_lag_ms"):
                total[k] = None if None in vals else max(vals)
            elif k == "watermark":
                total[k] = None if None in vals else min(vals)
            else:
                total[k] = round(sum(vals), 1) if isinstance(vals[0], float) else sum(vals)
        out = {"id": v.id, "name": v.name, "parallelism": v.parallelism, "metrics": total,
               "subtasks": subtasks}
        if v.source:
            out["is_source"] = True
        return out

    def job_summary(self):
        now = time.time()
        return {"id": 1, "name": "clickstream-sessions", "state": self.state,
                "start_unix_s": round(self.t0, 3),
                "duration_s": round(self.end_time() - self.t0, 1), "parallelism": 2,
                "reason": self.reason, "restarting": self.down(now)}

    def job(self):
        t = self.end_time()
        out = self.job_summary()
        out.update({"restarts": 1, "vertices": [self.vertex(v, t) for v in self.vertices],
                    "edges": self.edges})
        return out

    def history(self):
        now = self.end_time()
        samples = []
        t = math.floor(max(self.t0, now - 300.0))
        while t <= now:
            vs = []
            for v in self.vertices:
                m = self.vertex_metrics(v, t)
                vs.append({k: m[k] for k in ("records_in_per_s", "records_out_per_s",
                                             "watermark_lag_ms", "backpressured_ratio",
                                             "busy_ratio")})
                vs[-1] = {"id": v.id, **vs[-1]}
            samples.append({"t_unix_s": float(t), "vertices": vs})
            t += 1
        return {"interval_s": 1.0, "samples": samples}

    def advance_checkpoints(self):
        """Takes the periodic checkpoints whose time has come: one every 10 s while the job
        runs; the third failed (node-2 was lost), and one in 15 after it (a slow task)."""
        while self.state == "RUNNING" and self.next_periodic <= time.time():
            start = self.next_periodic
            self.next_periodic += 10.0
            k = len(self.checkpoint_list) + 1
            self.periodic += 1
            if self.periodic % 15 == 3:
                entry = {"id": k, "kind": "CHECKPOINT", "status": "FAILED",
                         "started_unix_s": round(start, 3), "duration_ms": 3000.0,
                         "bytes": 0, "alignment_ms": 0.0,
                         "reason": "node node-2 lost before acknowledging" if k == 3 else
                         "task sessionize#1 did not acknowledge within 3 s"}
            else:
                entry = {"id": k, "kind": "CHECKPOINT", "status": "COMPLETED",
                         "started_unix_s": round(start, 3),
                         "duration_ms": round(32.0 + 14.0 * abs(wave(k, 2.3)) + k * 0.4, 1),
                         "bytes": int(10240 + 2600 * k + 900 * wave(k, 1.7)),
                         "alignment_ms": round(1.2 + abs(wave(k, 3.1)) * 2.5, 2),
                         "reason": ""}
            self.checkpoint_list.append(entry)

    def checkpoints(self):
        self.advance_checkpoints()
        hist = self.checkpoint_list
        counts = {"completed": sum(c["status"] == "COMPLETED" for c in hist),
                  "failed": sum(c["status"] == "FAILED" for c in hist),
                  "in_progress": sum(c["status"] == "IN_PROGRESS" for c in hist)}
        completed = [c for c in hist if c["status"] == "COMPLETED"]
        return {"counts": counts, "latest_completed": completed[-1] if completed else None,
                "history": hist[-20:]}

    def restarts(self):
        return {"restarts": [{"attempt": 1, "at_unix_s": round(self.restart_at, 3),
                              "reason": "node node-2 lost (no heartbeat for 5 s)",
                              "restored_checkpoint": 2,
                              "downtime_ms": self.restart_down * 1000.0,
                              "outcome": "RUNNING"}]}

    # -- the finished job and the hostile one -----------------------------------------

    def finished_job(self, detail):
        start = self.t0 - 3600.0
        out = {"id": 2, "name": "wordcount", "state": "FINISHED",
               "start_unix_s": round(start, 3), "duration_s": 754.2, "parallelism": 2,
               "reason": "", "restarting": False}
        if not detail:
            return out
        zero = {k: 0 for k in METRIC_KEYS}

        def metrics(rin, rout):
            m = dict(zero, records_in=rin, records_out=rout, idle_ratio=1.0,
                     bytes_in=rin * 40, bytes_out=rout * 40, watermark=None,
                     watermark_lag_ms=None)
            return m
        names = ["text_file -> flat_map", "count_by_key", "file_sink(counts)"]
        flows = [(0, 1820000), (1820000, 60250), (60250, 0)]
        vertices = []
        for i, (name, (rin, rout)) in enumerate(zip(names, flows)):
            vertices.append({"id": i, "name": name, "parallelism": 2,
                             "metrics": metrics(rin, rout),
                             "subtasks": [{"subtask": s, "node": "node-%d" % (s + 1),
                                           "state": "FINISHED",
                                           "metrics": metrics(rin // 2, rout // 2)}
                                          for s in range(2)]})
        vertices[0]["is_source"] = True
        out.update({"restarts": 0, "vertices": vertices,
                    "edges": [{"source": 0, "target": 1, "partition": "HASH"},
                              {"source": 1, "target": 2, "partition": "FORWARD"}]})
        return out

    def hostile_job(self, detail):
        out = {"id": 3, "name": "clicks " + HOSTILE, "state": "FAILED",
               "start_unix_s": round(self.t0 - 600.0, 3), "duration_s": 12.5,
               "parallelism": 1,
               "reason": "<b>user code threw</b> " + HOSTILE,
               "restarting": False}
        if not detail:
            return out
        m = {k: 0 for k in METRIC_KEYS}
        out.update({"restarts": 1, "edges": [{"source": 0, "target": 1,
                                              "partition": "FORWARD"}],
                    "vertices": [{"id": i, "name": name, "parallelism": 1, "metrics": m,
                                  "subtasks": [{"subtask": 0, "node": "node-1" + HOSTILE,
                                                "state": "ENDED", "metrics": m}]}
                                 for i, name in enumerate(["source " + HOSTILE,
                                                           "sink </text></svg>" + HOSTILE])]})
        out["vertices"][0]["is_source"] = True
        return out

    def jobs(self, detail=False):
        jobs = [self.job() if detail else self.job_summary(), self.finished_job(detail)]
        if self.hostile:
            jobs.append(self.hostile_job(detail))
        return jobs

    # -- the cluster -------------------------------------------------------------------

    def overview(self):
        counts = {"running": 0, "finished": 0, "canceled": 0, "failed": 0, "stopped": 0}
        for j in self.jobs():
            counts[j["state"].lower()] += 1
        running = self.state == "RUNNING"
        return {"version": "0.1.0", "uptime_s": round(time.time() - self.t0 + 3700.0, 1),
                "nodes": 2, "slots_total": 4, "slots_used": 2 if running else 0,
                "jobs": counts, "actions_allowed": self.actions}

    def nodes(self):
        now = time.time()
        out = []
        for i in (1, 2):
            up = now - self.t0 + 3700.0 if i == 1 else now - self.restart_at - 2.0
            cpu = 0.83 + 0.2 * wave(now, 5.0, i) if self.state == "RUNNING" else 0.02
            out.append({"id": i, "name": "node-%d" % i, "address": "127.0.0.1:%d" % (40122 + i),
                        "state": "ALIVE", "slots_used": 1 if self.state == "RUNNING" else 0,
                        "slots_total": 2, "uptime_s": round(up, 1),
                        "cpu_ratio": round(cpu, 3),
                        "cpu_seconds": round(up * 0.7, 1),
                        "rss_bytes": int((180 + 12 * i + 4 * wave(now, 30.0, i)) * 1048576),
                        "open_files": 31 + 2 * i, "threads": 9 + i})
        return {"nodes": out}

    # -- actions -----------------------------------------------------------------------

    def take_checkpoint(self, kind):
        self.advance_checkpoints()
        start = time.time()
        time.sleep(0.3)
        entry = {"id": len(self.checkpoint_list) + 1, "kind": kind, "status": "COMPLETED",
                 "started_unix_s": round(start, 3), "duration_ms": 41.5,
                 "bytes": 31744 + 512 * len(self.checkpoint_list), "alignment_ms": 2.1,
                 "reason": ""}
        self.checkpoint_list.append(entry)
        return entry


def json_bytes(value):
    return json.dumps(value).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "nagare-fixture/0.1"
    fixture = None          # set by main()
    web_dir = None
    unreachable = False

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, content_type="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, message):
        self.send(code, json_bytes({"error": message}))

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        path = urlsplit(self.path).path
        if path.startswith("/v1/") or path == "/metrics":
            if self.unreachable:
                return self.drop()
            with self.fixture.lock:
                self.fixture.requests += 1
                return self.api_get(path)
        return self.static(path)

    do_HEAD = do_GET

    def static(self, path):
        name = "index.html" if path == "/" else path.lstrip("/")
        full = os.path.realpath(os.path.join(self.web_dir, name))
        if not full.startswith(os.path.realpath(self.web_dir) + os.sep) or \
                not os.path.isfile(full):
            return self.error(404, "no such page: " + path)
        with open(full, "rb") as f:
            body = f.read()
        ext = os.path.splitext(full)[1]
        self.send(200, body, CONTENT_TYPES.get(ext, "application/octet-stream"))

    def job_or_404(self, parts):
        try:
            jid = int(parts[2])
        except ValueError:
            self.error(400, "bad job id: " + parts[2])
            return None
        if jid == 1 or jid == 2 or (jid == 3 and self.fixture.hostile):
            return jid
        self.error(404, "no job %d" % jid)
        return None

    def api_get(self, path):
        fx = self.fixture
        parts = path.strip("/").split("/")
        if path == "/metrics":
            return self.send(200, b"# TYPE nagare_up gauge\nnagare_up 1\n",
                             "text/plain; version=0.0.4")
        if parts == ["v1", "overview"]:
            return self.send(200, json_bytes(fx.overview()))
        if parts == ["v1", "nodes"]:
            return self.send(200, json_bytes(fx.nodes()))
        if parts == ["v1", "jobs"]:
            return self.send(200, json_bytes({"jobs": fx.jobs()}))
        if parts == ["v1", "savepoints"]:
            return self.send(200, json_bytes({"savepoints": fx.savepoints}))
        if len(parts) >= 3 and parts[:2] == ["v1", "jobs"]:
            jid = self.job_or_404(parts)
            if jid is None:
                return None
            rest = parts[3:]
            if rest == []:
                job = next(j for j in fx.jobs(detail=True) if j["id"] == jid)
                return self.send(200, json_bytes(job))
            if rest == ["history"]:
                return self.send(200, json_bytes(fx.history() if jid == 1 else
                                                 {"interval_s": 1.0, "samples": []}))
            if rest == ["restarts"]:
                if jid == 1:
                    return self.send(200, json_bytes(fx.restarts()))
                if jid == 3:
                    return self.send(200, json_bytes({"restarts": [{
                        "attempt": 1, "at_unix_s": fx.t0 - 595.0, "reason": HOSTILE,
                        "restored_checkpoint": None, "downtime_ms": 120.0,
                        "outcome": "GAVE_UP"}]}))
                return self.send(200, json_bytes({"restarts": []}))
            if rest == ["checkpoints"]:
                if jid == 1:
                    return self.send(200, json_bytes(fx.checkpoints()))
                return self.send(200, json_bytes({"counts": {"completed": 0, "failed": 0,
                                                             "in_progress": 0},
                                                  "latest_completed": None, "history": []}))
            if len(rest) == 2 and rest[0] == "checkpoints" and jid == 1:
                cps = fx.checkpoints()["history"]
                entry = next((c for c in cps if str(c["id"]) == rest[1]), None)
                if entry is None:
                    return self.error(404, "no checkpoint %s of job 1" % rest[1])
                tasks = []
                for v in fx.vertices:
                    for s in range(v.parallelism):
                        ok = entry["status"] == "COMPLETED" or s == 0
                        tasks.append({"task": len(tasks), "vertex_name": v.name, "subtask": s,
                                      "acknowledged": ok, "bytes": entry["bytes"] // 5,
                                      "alignment_ms": entry["alignment_ms"],
                                      "duration_ms": entry["duration_ms"] * 0.9})
                return self.send(200, json_bytes(dict(entry, tasks=tasks)))
        return self.error(404, "no such resource: " + path)

    def do_POST(self):
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.unreachable:
            return self.drop()
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v1", "jobs"] or \
                parts[3] not in ("cancel", "checkpoints", "savepoints", "stop"):
            return self.error(404, "no such action: " + path)
        fx = self.fixture
        if not fx.actions:
            return self.error(403, "actions are refused: the web listener is not on a "
                                   "loopback address")
        jid = self.job_or_404(parts)
        if jid is None:
            return None
        with fx.lock:
            if jid != 1 or fx.state != "RUNNING":
                state = fx.state if jid == 1 else ("FINISHED" if jid == 2 else "FAILED")
                return self.error(409, "job %d is not running (%s)" % (jid, state))
            action = parts[3]
            if action == "cancel":
                fx.state, fx.ended = "CANCELED", time.time()
                fx.reason = "canceled from the web dashboard"
                return self.send(200, json_bytes({"ok": True}))
            if action == "checkpoints":
                return self.send(200, json_bytes(fx.take_checkpoint("CHECKPOINT")))
            entry = fx.take_checkpoint("SAVEPOINT")
            sp = "1-%d" % entry["id"]
            fx.savepoints.append({"id": sp, "job_name": "clickstream-sessions", "job_id": 1,
                                  "checkpoint_id": entry["id"],
                                  "taken_unix_s": entry["started_unix_s"],
                                  "bytes": entry["bytes"],
                                  "path": "/var/lib/nagare/savepoints/" + sp})
            if action == "stop":
                fx.state, fx.ended = "STOPPED", time.time()
                fx.reason = "stopped with savepoint " + sp
            return self.send(200, json_bytes({"savepoint": sp}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    p.add_argument("--web", default=os.path.join(REPO, "runtime", "web"),
                   help="the dashboard's files (default: runtime/web of this repository)")
    p.add_argument("--no-actions", action="store_true",
                   help="actions_allowed false; POST actions answer 403")
    p.add_argument("--hostile-names", action="store_true",
                   help="add a failed job whose names and reasons hold markup and scripts")
    p.add_argument("--unreachable", action="store_true",
                   help="drop every /v1 connection (the coordinator is gone)")
    args = p.parse_args()

    Handler.fixture = Fixture(actions=not args.no_actions, hostile=args.hostile_names)
    Handler.web_dir = args.web
    Handler.unreachable = args.unreachable
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("listening on http://127.0.0.1:%d/" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
