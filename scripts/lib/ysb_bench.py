#!/usr/bin/env python3
"""The Yahoo Streaming Benchmark end to end (scripts/ysb; see docs/benchmarks.md).

  1. Campaigns: 100 campaigns of 10 ads (tests/bench/ysb_generate) loaded into a private
     redis-server (or --redis), SET ad_id campaign_id, as YSB's setup does.
  2. From files: --events events in YSB's JSON (skew +-50 ms and one in 100,000 events up to
     60 s late, as YSB's --with-skew) in --splits files. RUNS times, interleaved:
       loop   tests/bench/ysb_baseline: one thread, simdjson, the campaigns preloaded from
              Redis into a hash map, the same windows
       p=P    nagare run jobs/libysb.so --parallelism P (embedded)
       p=P+cp the same with a checkpoint every second
       c=2    (--cluster) submitted at parallelism 2 to a coordinator and two node processes
     Each is measured as a whole process (wall, user+sys CPU); the cluster's CPU is its
     daemons' during the run plus the clients'. Every output is checked on its first run
     against the views per campaign and window computed independently from the event files
     (scripts/lib/ysb_check.py, a port of YSB's dostats): the engine's counts plus the views it
     set aside as too late must give them exactly.
  3. Through Kafka (--kafka-events, 0: skip): the events produced into the test broker (topic
     of enough partitions to stay inside the mock's retention), read whole by p=P; the
     broker's CPU is reported apart (the mock serves ~190 k messages/s and limits the rate).
  4. Latency (--latency-seconds, 0: skip): events produced live into Kafka at --latency-rate
     (default: half the peak rate of step 3), event time = the time of producing; the job
     runs unbounded with a checkpoint every second and writes YSB's layout into Redis exactly
     once. Latency per window = its time_updated - its end (event time), p50 and p99.

usage: ysb_bench.py BUILD_DIR WORK_DIR [options]   (scripts/ysb passes them)
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import bench_process  # noqa: E402
import ysb_check  # noqa: E402
from local_services import Cluster, ExternalKafka, KafkaBroker, Redis  # noqa: E402

window_ms = 10000
bound_ms = 100  # out-of-orderness: YSB's skew is +-50 ms
per_partition_bytes = 3 << 20  # inside the mock's ~5 MiB per partition
flink_per_cpu_s = 4300 / 3  # the field report: ~4,300 msg/s on three busy CPUs


def fail(message):
    print(f"ysb: {message}", file=sys.stderr)
    sys.exit(1)


def options():
    p = argparse.ArgumentParser(prog="scripts/ysb")
    p.add_argument("build")
    p.add_argument("work")
    p.add_argument("--events", type=int, default=5_000_000)
    p.add_argument("--splits", type=int, default=4)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--parallelism", type=int, default=1)
    p.add_argument("--cluster", action="store_true")
    p.add_argument("--kafka-events", type=int, default=1_000_000)
    p.add_argument("--latency-seconds", type=int, default=30)
    p.add_argument("--latency-rate", type=int, default=0)
    p.add_argument("--redis", default="")
    p.add_argument("--kafka", default="")
    p.add_argument("--timeout", type=int, default=600)
    a = p.parse_args()
    for name in ("events", "splits", "runs", "parallelism"):
        if getattr(a, name) < 1:
            fail(f"--{name} must be at least 1")
    for name in ("kafka_events", "latency_seconds", "latency_rate"):
        if getattr(a, name) < 0:
            fail(f"--{name.replace('_', '-')} must be >= 0")
    return a


class Bench:
    def __init__(self, a):
        self.a = a
        self.nagare = os.path.join(a.build, "nagare")
        self.job = os.path.join(a.build, "jobs", "libysb.so")
        self.generator = os.path.join(a.build, "tests", "bench", "ysb_generate")
        self.loop = os.path.join(a.build, "tests", "bench", "ysb_baseline")
        self.broker_bin = os.path.join(a.build, "tests", "kafka-test-broker")
        for f in (self.nagare, self.job, self.generator, self.loop, self.broker_bin):
            if not os.path.exists(f):
                fail(f"the build did not produce {f}")
        os.makedirs(a.work, exist_ok=True)
        self.redis = None
        if a.redis:
            self.redis_address = a.redis
        else:
            self.redis = Redis(a.work, fail)
            self.redis_address = self.redis.address
        self.ads_uri = f"redis://{self.redis_address}"
        self.ads_file = os.path.join(a.work, "ads.txt")
        self.generate(["--redis", self.redis_address, "--ads-file", self.ads_file])

    def stop(self):
        if self.redis:
            self.redis.stop()

    def generate(self, args):
        """Runs the generator; returns its JSON stats line."""
        r = subprocess.run([self.generator, "--seed", str(self.a.seed), *args],
                           capture_output=True, text=True, timeout=self.a.timeout)
        if r.returncode != 0:
            fail(f"ysb_generate failed: {r.stderr.strip()}")
        return json.loads(r.stdout.strip().splitlines()[-1])

    def measure(self, cmd, log):
        return bench_process.measure(cmd, log, self.a.timeout, fail)

    def job_args(self, inputs, output, late):
        return ["--input", *inputs, "--ads", self.ads_uri, "--output", output,
                "--window-ms", str(window_ms), "--out-of-orderness", str(bound_ms),
                "--late", late]

    def check(self, what, expected, output, late):
        """The engine's counts plus its late views against the expected views."""
        try:
            got = ysb_check.read_lines_output([output])
        except ValueError as e:
            fail(f"WRONG OUTPUT of {what}: {e}")
        for campaign, start in late_windows(late):
            if campaign != "unknown":
                got[(campaign, start)] = got.get((campaign, start), 0) + 1
        diff = ysb_check.compare(expected, got)
        if diff:
            for d in diff[:10]:
                print(f"  {d}", file=sys.stderr)
            fail(f"WRONG OUTPUT of {what}: {len(diff)} differences")
        return sum(1 for _ in late_windows(late))


def late_windows(directory):
    """(campaign or "unknown", window start) of each late view the job wrote."""
    if not os.path.isdir(directory):
        return
    for name in sorted(os.listdir(directory)):
        if name.startswith((".", "_")):
            continue
        with open(os.path.join(directory, name)) as f:
            for line in f:
                campaign, t = line.strip().split(",")
                t = int(t)
                yield campaign, t - t % window_ms


def rate(n, s):
    return n / s if s > 0 else float("inf")


def cpu_delta(broker, before):
    now = broker.cpu()
    return None if now is None else now - before


def seconds(s):
    return "not measured (external broker)" if s is None else f"{s:.3f} s"


def from_files(b):
    a = b.a
    events_dir = os.path.join(a.work, "events")
    os.makedirs(events_dir, exist_ok=True)
    print(f"ysb: generating {a.events:,} events into {a.splits} files", file=sys.stderr)
    stats = b.generate(["--events", str(a.events), "--files", events_dir, "--splits",
                        str(a.splits), "--skew", "50", "--late-fraction", "0.00001",
                        "--late-ms", "60000"])
    files = sorted(os.path.join(events_dir, f) for f in os.listdir(events_dir))
    print(f"ysb: computing the expected counts (scripts/lib/ysb_check.py)", file=sys.stderr)
    expected, _ = ysb_check.expected_counts(files, b.ads_file, window_ms)

    configs = ["loop", "loop-dom", f"p={a.parallelism}", f"p={a.parallelism}+cp"]
    cluster = None
    if a.cluster:
        configs.append("c=2")
        cluster = Cluster(b.nagare, os.path.join(a.work, "cluster"), fail, timeout=a.timeout)
    best = {}
    late_counts = {}
    try:
        for run in range(a.runs):
            for config in configs:
                out = os.path.join(a.work, f"out-{config}-{run}")
                late = os.path.join(a.work, f"late-{config}-{run}")
                log = os.path.join(a.work, f"{config}.log")
                if config.startswith("loop"):
                    dom = ["--dom"] if config == "loop-dom" else []
                    wall, cpu = b.measure([b.loop, *dom, "--input", *files, "--ads", b.ads_uri,
                                           "--window-ms", str(window_ms), "--output", out], log)
                elif config == "c=2":
                    cpu0, clients = cluster.daemon_cpu(), 0.0
                    start = time.perf_counter()
                    t0 = os.times()
                    job = cluster.submit(b.job, "--parallelism", "2", "--",
                                         *b.job_args(files, out, late))
                    cluster.wait(job)
                    t1 = os.times()
                    wall = time.perf_counter() - start
                    clients = (t1.children_user - t0.children_user) + \
                              (t1.children_system - t0.children_system)
                    cpu = cluster.daemon_cpu() - cpu0 + clients
                else:
                    extra = ["--checkpoint-interval", "1000"] if config.endswith("+cp") else []
                    wall, cpu = b.measure([b.nagare, "run", b.job, "--parallelism",
                                           str(a.parallelism), *extra, "--",
                                           *b.job_args(files, out, late)], log)
                print(f"ysb: {config:>7} run {run + 1}: wall {wall:.3f} s, CPU {cpu:.3f} s",
                      file=sys.stderr)
                if run == 0:
                    late_counts[config] = b.check(config, expected, out, late)
                w, c = best.get(config, (wall, cpu))
                best[config] = (min(w, wall), min(c, cpu))
    finally:
        if cluster:
            cluster.stop()

    loop_rate = rate(a.events, best["loop"][0])
    loop_cpu = rate(a.events, best["loop"][1])
    print()
    print(f"YSB from files: {a.events:,} events ({stats['views']:,} views) in {a.splits} files, "
          f"{stats['bytes'] / a.events:.0f} bytes each, best of {a.runs}; "
          f"every output checked against the expected counts")
    print(f"  {'configuration':<14} {'wall s':>8} {'CPU s':>8} {'events/s':>13} "
          f"{'events/CPU-s':>13} {'vs loop':>8} {'vs loop/CPU-s':>13}")
    for config in configs:
        wall, cpu = best[config]
        print(f"  {config:<14} {wall:8.3f} {cpu:8.3f} {rate(a.events, wall):13,.0f} "
              f"{rate(a.events, cpu):13,.0f} {rate(a.events, wall) / loop_rate:8.1%} "
              f"{rate(a.events, cpu) / loop_cpu:13.1%}")
    engine = f"p={a.parallelism}"
    print(f"  loop: simdjson On Demand, validating the fields it reads; loop-dom: simdjson DOM, "
          f"validating every document as the engine does (engine per CPU-second: "
          f"{rate(a.events, best[engine][1]) / rate(a.events, best['loop-dom'][1]):.1%} of loop-dom)")
    print(f"  checkpoints every second: {rate(a.events, best[engine + '+cp'][0]) / rate(a.events, best[engine][0]):.1%} "
          f"of the throughput without")
    if "c=2" in best:
        print(f"  two node processes: {rate(a.events, best['c=2'][1]) / rate(a.events, best[engine][1]):.1%} "
              f"of embedded {engine} per CPU-second")
    print(f"  late views set aside by the engine: {late_counts.get(engine, 0)}; "
          f"vs Flink's field report ({flink_per_cpu_s:,.0f} events per CPU-second): "
          f"{rate(a.events, best[engine][1]) / flink_per_cpu_s:,.0f}x")
    return stats


def through_kafka(b, broker):
    """Returns the engine's events/s reading the topic whole, net of its fixed cost."""
    a = b.a
    n = a.kafka_events
    events_dir = os.path.join(a.work, "kafka-events")
    os.makedirs(events_dir, exist_ok=True)
    partitions = max(4, -(-(n * 230) // per_partition_bytes))
    topic = f"ad-events-{partitions}"
    broker.create_topic(topic, partitions)
    broker_cpu0 = broker.cpu()
    print(f"ysb: producing {n:,} events into {topic}", file=sys.stderr)
    stats = b.generate(["--events", str(n), "--files", events_dir, "--splits", "1",
                        "--kafka", broker.bootstrap, "--topic", topic, "--skew", "50"])
    produce_broker_cpu = cpu_delta(broker, broker_cpu0)
    expected, _ = ysb_check.expected_counts(
        [os.path.join(events_dir, f) for f in sorted(os.listdir(events_dir))], b.ads_file,
        window_ms)
    # The engine's fixed cost (start, connecting, the end): a topic of 100 events.
    small = "ad-events-100"
    broker.create_topic(small, partitions)
    b.generate(["--events", "100", "--kafka", broker.bootstrap, "--topic", small])
    fixed_wall, fixed_cpu = b.measure(
        [b.nagare, "run", b.job, "--parallelism", str(a.parallelism), "--",
         *b.job_args([broker.uri(small, "stop=latest")], os.path.join(a.work, "out-small"),
                     os.path.join(a.work, "late-small"))], os.path.join(a.work, "kafka.log"))
    best = None
    for run in range(a.runs):
        out = os.path.join(a.work, f"out-kafka-{run}")
        late = os.path.join(a.work, f"late-kafka-{run}")
        cpu0 = broker.cpu()
        wall, cpu = b.measure([b.nagare, "run", b.job, "--parallelism", str(a.parallelism), "--",
                               *b.job_args([broker.uri(topic, "stop=latest")], out, late)],
                              os.path.join(a.work, "kafka.log"))
        broker_cpu = cpu_delta(broker, cpu0)
        print(f"ysb: kafka run {run + 1}: wall {wall:.3f} s, CPU {cpu:.3f} s, "
              f"broker CPU {seconds(broker_cpu)}", file=sys.stderr)
        if run == 0:
            b.check("the Kafka run", expected, out, late)
        if best is None or wall < best[0]:
            best = (wall, cpu, broker_cpu)
    wall, cpu, broker_cpu = best
    print()
    print(f"YSB through Kafka (the test broker): {n:,} events in {partitions} partitions, "
          f"p={a.parallelism}, best of {a.runs}; checked")
    print(f"  producing: {stats['seconds']:.3f} s, the broker's CPU {seconds(produce_broker_cpu)}")
    print(f"  engine: wall {wall:.3f} s, {rate(n, wall):,.0f} events/s; engine CPU {cpu:.3f} s, "
          f"{rate(n, cpu):,.0f} events per engine CPU-second; broker CPU during the run "
          f"{seconds(broker_cpu)} (apart)")
    print(f"  the engine's fixed cost (a topic of 100 events): wall {fixed_wall:.3f} s, CPU "
          f"{fixed_cpu:.3f} s; net of it: {rate(n, wall - fixed_wall):,.0f} events/s, "
          f"{rate(n, cpu - fixed_cpu):,.0f} events per engine CPU-second")
    return rate(n, wall - fixed_wall)


def latency(b, broker, peak):
    a = b.a
    r = a.latency_rate or max(1000, int(peak / 2))
    n = r * a.latency_seconds
    topic = "live"
    broker.create_topic(topic, 8)
    events_dir = os.path.join(a.work, "live-events")
    os.makedirs(events_dir, exist_ok=True)
    late = os.path.join(a.work, "late-live")
    log = open(os.path.join(a.work, "live.log"), "w")
    # Unbounded: the job reads the topic until stopped.
    job = subprocess.Popen([b.nagare, "run", b.job, "--parallelism", str(a.parallelism),
                            "--checkpoint-interval", "1000", "--",
                            *b.job_args([broker.uri(topic, "start=earliest")],
                                        f"redis://{b.redis_address}", late)],
                           stdout=log, stderr=log)
    try:
        time.sleep(2)
        print(f"ysb: latency: producing {r:,} events/s for {a.latency_seconds} s", file=sys.stderr)
        stats = b.generate(["--events", str(n), "--rate", str(r), "--files", events_dir,
                            "--kafka", broker.bootstrap, "--topic", topic, "--skew", "50"])
        # The last window the events close has its end below the last event time.
        time.sleep((window_ms + bound_ms) / 1000 + 3)
    finally:
        job.terminate()
        try:
            job.wait(60)
        except subprocess.TimeoutExpired:
            job.kill()
    host, port = b.redis_address.rsplit(":", 1)
    try:
        counts, updated = ysb_check.read_redis_output(host, int(port))
    except ValueError as e:
        fail(f"WRONG OUTPUT of the latency run: {e}")
    expected, _ = ysb_check.expected_counts(
        [os.path.join(events_dir, f) for f in sorted(os.listdir(events_dir))], b.ads_file,
        window_ms)
    closed = stats["last_ms"] - 2 * bound_ms  # every window ending by then has fired
    due = {k: v for k, v in expected.items() if k[1] + window_ms <= closed}
    got = {k: v for k, v in counts.items() if k in due}
    diff = ysb_check.compare(due, got)
    if diff:
        for d in diff[:10]:
            print(f"  {d}", file=sys.stderr)
        fail(f"WRONG OUTPUT of the latency run: {len(diff)} differences")
    lat = {k: v for k, v in updated.items() if k in due}
    lat = ysb_check.latency(lat, window_ms)
    p50, p99, worst = lat["p50"], lat["p99"], lat["max"]
    print()
    print(f"YSB latency: {r:,} events/s live through Kafka for {a.latency_seconds} s "
          f"(behind schedule at most {stats.get('behind_ms_max', 0)} ms), p={a.parallelism}, "
          f"out-of-orderness {bound_ms} ms, a checkpoint every second, Redis output exactly once; "
          f"{len(due)} windows checked")
    print(f"  window end (event time) -> count written (time_updated): p50 {p50} ms, "
          f"p99 {p99} ms, max {worst} ms")
    print(f"  (a count becomes visible in Redis when the next checkpoint completes: up to 1 s later)")


def main():
    a = options()
    b = Bench(a)
    broker = None
    try:
        from_files(b)
        peak = 0
        if a.kafka_events or a.latency_seconds:
            broker = ExternalKafka(a.kafka) if a.kafka else KafkaBroker(
                b.broker_bin, [], os.path.join(a.work, "broker.log"), fail)
        if a.kafka_events:
            peak = through_kafka(b, broker)
        if a.latency_seconds:
            if not peak and not a.latency_rate:
                fail("--latency-rate is needed when the Kafka section is skipped")
            latency(b, broker, peak)
    finally:
        if broker:
            broker.stop()
        b.stop()


if __name__ == "__main__":
    main()
