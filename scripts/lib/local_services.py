"""Private servers and a local cluster for the scripts (scripts/ysb, scripts/bench): a
redis-server without persistence, the Kafka test broker, a coordinator with node processes,
and the CPU time of a running process."""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from ports import free_port  # noqa: E402

tick = os.sysconf("SC_CLK_TCK")


def cpu_of(pid):
    """User + system CPU seconds of a running process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


class Redis:
    """A private redis-server on 127.0.0.1 and a free port, its files in directory."""

    def __init__(self, directory, fail):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", directory,
             "--save", "", "--appendonly", "no", "--logfile", os.path.join(directory, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self.cli("ping").strip() == "PONG":
                return
            time.sleep(0.05)
        self.stop()
        fail(f"redis-server did not answer on port {self.port} (see {directory}/redis.log)")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                              text=True).stdout

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class KafkaBroker:
    """The Kafka test broker (librdkafka's mock cluster) with topics "NAME:PARTITIONS"."""

    def __init__(self, binary, topics, log, fail):
        args = [binary]
        for t in topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(log, "w"), text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            fail(f"the test broker did not start (see {log})")

    def uri(self, topic, query=""):
        return f"kafka://{self.bootstrap}/{topic}" + (f"?{query}" if query else "")

    def create_topic(self, name, partitions):
        self.proc.stdin.write(f"topic {name}:{partitions}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"the test broker refused topic {name}: {answer}")

    def cpu(self):
        """The broker's CPU seconds so far."""
        return cpu_of(self.proc.pid)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ExternalKafka:
    """A Kafka cluster of one's own (its topics made beforehand; its CPU not measured)."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap

    def uri(self, topic, query=""):
        return f"kafka://{self.bootstrap}/{topic}" + (f"?{query}" if query else "")

    def create_topic(self, name, partitions):
        print(f"note: topic {name} must exist on {self.bootstrap} ({partitions} partitions "
              f"or more)", file=sys.stderr)

    def cpu(self):
        return None

    def stop(self):
        pass


class Cluster:
    """A coordinator and `nodes` node processes (node1, node2, ...) with `slots` slots each,
    on loopback, their logs and data under directory. Client commands take the job's
    arguments after "--", as nagare does."""

    def __init__(self, nagare, directory, fail, nodes=2, slots=2, timeout=300,
                 coordinator_args=()):
        self.nagare, self.dir, self.fail, self.timeout = nagare, directory, fail, timeout
        os.makedirs(self.dir, exist_ok=True)
        self.address = f"127.0.0.1:{free_port()}"
        self.procs = {}
        self.start("coordinator", ["coordinator", "--listen", self.address,
                                   "--data-dir", f"{self.dir}/coordinator", *coordinator_args])
        for _ in range(200):
            if self.client("list").returncode == 0:
                break
            time.sleep(0.05)
        self.nodes = [f"node{n}" for n in range(1, nodes + 1)]
        for name in self.nodes:
            self.start(name, ["node", "--coordinator", self.address, "--listen",
                              f"127.0.0.1:{free_port()}", "--slots", str(slots),
                              "--data-dir", f"{self.dir}/{name}"])
        for name in self.nodes:
            self.await_log(name, "registered as node")

    def start(self, name, args):
        log = open(os.path.join(self.dir, name + ".log"), "a")
        self.procs[name] = subprocess.Popen([self.nagare] + args, stdout=log, stderr=log)

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log")) as f:
            return f.read()

    def await_log(self, name, text, seconds=20):
        until = time.time() + seconds
        while text not in self.log(name):
            if time.time() > until:
                self.fail(f"{name} did not log '{text}':\n{self.log(name)}")
            time.sleep(0.02)

    def client(self, command, *args):
        """`nagare COMMAND ARGS --coordinator ADDRESS [-- JOB ARGS]`."""
        args = list(args)
        job = args[args.index("--"):] if "--" in args else []
        args = args[:len(args) - len(job)]
        return subprocess.run([self.nagare, command, *args, "--coordinator", self.address, *job],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=self.timeout)

    def submit(self, *args):
        sub = self.client("submit", *args)
        if sub.returncode != 0:
            self.fail("submit failed: " + sub.stderr)
        return sub.stdout.strip()

    def wait(self, job):
        w = self.client("wait", job)
        if w.returncode != 0 or "FINISHED" not in w.stdout:
            self.fail(f"job {job} did not finish: {w.stdout}{w.stderr}")

    def daemon_cpu(self):
        """CPU seconds of the coordinator and the nodes so far."""
        return sum(cpu_of(p.pid) for p in self.procs.values() if p.poll() is None)

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
