"""The local cluster of a chaos trial: free ports, daemons (a coordinator and
nodes as child processes, with their logs), the cluster they make, and a
waiter for `nagare wait`. Every daemon started is in LIVE, so that every exit
path of scripts/chaos can stop them all (kill_everything, registered with
atexit)."""

import atexit
import os
import re
import signal
import subprocess
import threading
import time

from ports import free_port

SLOTS = 2          # per node
START_TIMEOUT = 30  # s for a daemon to come up
CLIENT_TIMEOUT = 30  # s for a client command that should answer at once


# Every daemon any trial started, so that exit paths can stop them all.
LIVE = set()
LIVE_LOCK = threading.Lock()


def kill_everything():
    with LIVE_LOCK:
        procs = list(LIVE)
    for p in procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
            except OSError:
                pass
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass


atexit.register(kill_everything)


def on_signal(number, frame):
    raise KeyboardInterrupt(f"signal {number}")


class TrialError(Exception):
    """The harness could not run a trial as planned (not a wrong output)."""


class Daemon:
    """One coordinator or node process; its log is appended to across restarts."""

    def __init__(self, name, log_path):
        self.name = name
        self.log_path = log_path
        self.proc = None
        self.stopped = False  # SIGSTOP sent, no SIGCONT yet
        self.expected_down = False
        self.starts = 0

    def start(self, argv):
        log = open(self.log_path, "ab")
        log.write(b"=== chaos: %s start %d\n" % (self.name.encode(), self.starts + 1))
        log.flush()
        self.offset = log.tell()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        with LIVE_LOCK:
            LIVE.add(self.proc)
        self.starts += 1
        self.stopped = False
        self.expected_down = False

    def new_log(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def await_log(self, text, seconds=START_TIMEOUT):
        until = time.monotonic() + seconds
        while text not in self.new_log():
            if self.proc.poll() is not None:
                raise TrialError(f"{self.name} exited with {self.proc.returncode} while starting:\n"
                                 + tail(self.new_log()))
            if time.monotonic() > until:
                raise TrialError(f"{self.name} did not log '{text}' within {seconds} s:\n"
                                 + tail(self.new_log()))
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.expected_down = True
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.stopped = False

    def stop(self):
        """SIGCONT if stopped, SIGTERM, SIGKILL after 5 s."""
        if not self.alive():
            return
        self.expected_down = True
        try:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        except OSError:
            pass


def tail(text, lines=15):
    return "\n".join("    " + l for l in text.rstrip("\n").split("\n")[-lines:])


class Cluster:
    def __init__(self, opts, directory):
        self.opts = opts
        self.dir = directory
        self.address = f"127.0.0.1:{free_port()}"
        self.coordinator = Daemon("coordinator", os.path.join(directory, "coordinator.log"))
        self.nodes = []
        for i in range(opts["nodes"]):
            d = Daemon(f"node-{i}", os.path.join(directory, f"node-{i}.log"))
            d.port = free_port()
            d.data_generation = 0
            self.nodes.append(d)

    def start_coordinator(self):
        self.coordinator.start([self.opts["bin"], "coordinator", "--listen", self.address,
                                "--data-dir", os.path.join(self.dir, "coordinator"),
                                "--log-level", "info"])
        self.coordinator.await_log("listening on")

    def start_node(self, node, wait=True):
        data = os.path.join(self.dir, f"{node.name}" +
                            (f"-{node.data_generation}" if node.data_generation else ""))
        node.start([self.opts["bin"], "node", "--coordinator", self.address,
                    "--listen", f"127.0.0.1:{node.port}", "--slots", str(SLOTS),
                    "--data-dir", data, "--log-level", "info"])
        if wait:
            node.await_log("registered as node")

    def start(self):
        self.start_coordinator()
        for n in self.nodes:
            self.start_node(n, wait=False)
        for n in self.nodes:
            n.await_log("registered as node")

    def daemons(self):
        return [self.coordinator] + self.nodes

    def stop(self):
        for d in self.nodes + [self.coordinator]:
            d.stop()
        with LIVE_LOCK:
            for d in self.daemons():
                if d.proc is not None and d.proc.poll() is not None:
                    LIVE.discard(d.proc)

    def client(self, *args, timeout=CLIENT_TIMEOUT):
        argv = list(args)
        cut = argv.index("--") if "--" in argv else len(argv)
        argv = [self.opts["bin"]] + argv[:cut] + ["--coordinator", self.address] + argv[cut:]
        try:
            return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, 124, "", f"no answer within {timeout} s")


class Waiter(threading.Thread):
    """Runs `nagare wait JOB` until the job ends, again after the coordinator was lost."""

    def __init__(self, cluster, job, deadline, say):
        super().__init__(daemon=True)
        self.cluster, self.job, self.deadline, self.say = cluster, job, deadline, say
        self.outcome = None  # "FINISHED", or why not
        self.ended_at = None
        self.cancelled = threading.Event()

    def run(self):
        while time.monotonic() < self.deadline and not self.cancelled.is_set():
            left = max(1.0, self.deadline - time.monotonic())
            r = self.cluster.client("wait", self.job, timeout=left)
            if r.returncode == 0 and f"job {self.job} FINISHED" in r.stdout:
                self.outcome = "FINISHED"
                break
            if re.search(r"job \d+ (FAILED|CANCELED|STOPPED)|no job with id", r.stderr):
                self.outcome = r.stderr.strip().replace("nagare: error: ", "")
                break
            # The coordinator is down or restarting: ask again.
            self.cancelled.wait(0.3)
        else:
            self.outcome = ("did not end within the trial timeout" if not self.cancelled.is_set()
                            else "the trial was cut short")
        self.ended_at = time.monotonic()
        self.say(f"job {self.job}: {self.outcome}")


# ------------------------------------------------------------------ a trial
