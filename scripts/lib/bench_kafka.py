#!/usr/bin/env python3
"""Kafka + JSON figures for scripts/bench: a keyed count of JSON events read
from the test broker (librdkafka's mock cluster in a process of its own).

  EVENTS JSON events of about 120 bytes ({"user_id":"<uuid>","key":"k123",
  "value":42,"event_time":"..."}, keys k0..k9999, deterministic by SEED) are
  produced with kcat into a topic of enough partitions to stay inside the
  mock's retention (about 5 MiB per partition; 3 MiB are used at most), the
  same number of events into each. Then, RUNS times and interleaved, each
  configuration reads the whole topic (bounded at the end offsets at its
  start) and writes "key<TAB>count" lines into a directory:
    loop  tests/bench/kafka_json_baseline (one thread: librdkafka consumer,
          simdjson DOM, std::unordered_map)
    p=1   nagare run jobs/libjson_count.so --parallelism 1 (embedded)
    p=2   the same at --parallelism 2
  Each run is measured as a whole process (wall, and user+sys CPU from
  wait4's rusage); the broker's CPU during the run (utime+stime from
  /proc/PID/stat) is reported apart, so that the figure comparing the engine
  with the loop is events per CPU-second of the reading process alone: the
  mock broker is one shared process whose speed is not the engine's.
  Every output must equal the loop's, whose counts must add up to EVENTS
  (retention dropped nothing), with no dead letters. Once per run, p=1 also
  reads a topic of 100 events: the engine's fixed cost (start, connecting,
  finishing), shown below the table and subtracted in "net events/CPU-s".

usage: bench_kafka.py BROKER_BIN NAGARE JOB_LIB BASELINE WORK RUNS EVENTS SEED TIMEOUT
"""
import os
import random
import subprocess
import sys
import time

import bench_process
from local_services import cpu_of  # noqa: E402

broker_bin, nagare, job_lib, baseline, work = sys.argv[1:6]
runs, events, seed, timeout = (int(x) for x in sys.argv[6:10])
keys = 10_000
topic = "events"
small_topic = "events-100"  # for the fixed cost
small_events = 100
per_partition_bytes = 3 << 20  # inside the mock's ~5 MiB per partition


def fail(message):
    print(f"bench: kafka: {message}", file=sys.stderr)
    sys.exit(1)


def make_events():
    """The events as lines, deterministic by seed: one per millisecond of event time."""
    rng = random.Random(seed)
    start_s = 1_780_000_000
    lines = []
    for i in range(events):
        if i % 1000 == 0:
            second = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start_s + i // 1000))
        u = f"{rng.getrandbits(128):032x}"
        lines.append(f'{{"user_id":"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}",'
                     f'"key":"k{rng.randrange(keys)}","value":{rng.randrange(1000)},'
                     f'"event_time":"{second}.{i % 1000:03d}Z"}}\n')
    return lines


def measure(cmd, log):
    """bench_process.measure with this section's timeout."""
    return bench_process.measure(cmd, log, timeout, fail)


def results(directory):
    """The sorted result lines in directory (names starting with '.' or '_' are not results)."""
    lines = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            if not name.startswith((".", "_")):
                with open(os.path.join(root, name)) as f:
                    lines.extend(f.read().splitlines())
    return sorted(lines)


def dead_letters(directory):
    """The number of dead-letter lines the job wrote."""
    n = 0
    for root, _, files in os.walk(os.path.join(directory, "_dead-letter")):
        for name in files:
            if not name.startswith("."):
                with open(os.path.join(root, name)) as f:
                    n += sum(1 for _ in f)
    return n


def main():
    os.makedirs(work, exist_ok=True)
    lines = make_events()
    size = sum(len(line) for line in lines)
    partitions = max(8, -(-size // per_partition_bytes))
    slices = [lines[p::partitions] for p in range(partitions)]  # the same count per partition
    files = []
    for p, part in enumerate(slices):
        path = os.path.join(work, f"events-{p}.jsonl")
        with open(path, "w") as f:
            f.writelines(part)
        files.append(path)
    del lines, slices

    broker = subprocess.Popen([broker_bin, "--topic", f"{topic}:{partitions}",
                               "--topic", f"{small_topic}:{partitions}"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=open(os.path.join(work, "broker.log"), "w"),
                              text=True)
    try:
        bootstrap = broker.stdout.readline().strip()
        if not bootstrap:
            fail("the test broker did not start (see broker.log)")
        run_all(broker.pid, bootstrap, files, size, partitions)
    finally:
        broker.stdin.close()
        try:
            broker.wait(10)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()


def run_all(broker_pid, bootstrap, files, size, partitions):
    # Producing, measured apart: one kcat per partition, one after the other.
    cpu0, start, kcat_cpu = cpu_of(broker_pid), time.perf_counter(), 0.0
    for p, path in enumerate(files):
        _, cpu = measure(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(p), "-l", path],
                         os.path.join(work, "kcat.log"))
        kcat_cpu += cpu
    small = os.path.join(work, "events-100.jsonl")
    with open(files[0]) as f, open(small, "w") as out:
        out.writelines(f.readline() for _ in range(small_events))
    produce_wall, produce_broker = time.perf_counter() - start, cpu_of(broker_pid) - cpu0
    measure(["kcat", "-P", "-b", bootstrap, "-t", small_topic, "-p", "0", "-l", small],
            os.path.join(work, "kcat.log"))
    print(f"\nworkload: keyed count of JSON events from Kafka (librdkafka's mock broker, one process),"
          f" {events:,} events of {size / events:.0f} bytes on average, {keys:,} keys,"
          f" {partitions} partitions ({size / partitions / 2**20:.1f} MiB each); best of {runs} runs")
    print(f"produce (kcat, one partition at a time): {produce_wall:.3f} s wall,"
          f" {events / produce_wall:,.0f} events/s; kcat CPU {kcat_cpu:.3f} s, broker CPU {produce_broker:.3f} s")

    uri = f"kafka://{bootstrap}/{topic}?stop=latest"
    configs = {
        "loop": ("loop (1 thread)", [baseline, "--brokers", bootstrap, "--topic", topic, "--output"]),
        "p1": ("engine p=1", [nagare, "run", job_lib, "--parallelism", "1", "--", "--input", uri,
                              "--output"]),
        "p2": ("engine p=2", [nagare, "run", job_lib, "--parallelism", "2", "--", "--input", uri,
                              "--output"]),
    }
    configs["fixed"] = ("engine p=1, 100 events", [nagare, "run", job_lib, "--parallelism", "1", "--",
                                                    "--input", f"kafka://{bootstrap}/{small_topic}?stop=latest",
                                                    "--output"])
    timings = {c: [] for c in configs}
    expected = None
    for run in range(1, runs + 1):
        for c, (label, cmd) in configs.items():
            out = os.path.join(work, f"out-{c}")
            subprocess.run(["rm", "-rf", out], check=True)
            b0 = cpu_of(broker_pid)
            wall, cpu = measure(cmd + [out], os.path.join(work, f"{c}.log"))
            broker_cpu = cpu_of(broker_pid) - b0
            timings[c].append((wall, cpu, broker_cpu))
            print(f"bench: kafka run {run} {label:<16} wall {wall:8.3f} s  cpu {cpu:8.3f} s"
                  f"  broker cpu {broker_cpu:8.3f} s", file=sys.stderr)
            got = results(out)
            if c == "fixed":
                if sum(int(line.rsplit("\t", 1)[1]) for line in got) != small_events:
                    fail(f"{label} did not count {small_events} events on run {run}")
                subprocess.run(["rm", "-rf", out], check=True)
                continue
            if c == "loop":
                total = sum(int(line.rsplit("\t", 1)[1]) for line in got)
                if total != events:
                    fail(f"the loop counted {total:,} events, not {events:,}: the broker lost some"
                         " (retention) or the produce failed")
                if expected is None:
                    expected = got
            if got != expected:
                fail(f"WRONG OUTPUT: {label} differs from the loop's ({len(got)} lines against"
                     f" {len(expected)}) on run {run}")
            if dead_letters(out):
                fail(f"{label} wrote {dead_letters(out)} dead letters on run {run}")
            subprocess.run(["rm", "-rf", out], check=True)
    print(f"bench: kafka: every output equals the loop's ({len(expected):,} keys,"
          f" {events:,} events)", file=sys.stderr)

    def rate(n, s):
        return n / s if s > 0 else float("inf")

    best = {c: (min(t[0] for t in ts), min(t[1] for t in ts)) for c, ts in timings.items()}
    loop_cpu_rate = rate(events, best["loop"][1])
    fixed_wall, fixed_cpu = best.pop("fixed")
    print()
    head = (f"{'configuration':<18} {'wall s':>8} {'CPU s':>8} {'broker CPU s':>12} {'events/s':>10}"
            f" {'events/CPU-s':>13} {'vs loop/CPU':>11} {'net events/CPU-s':>16}")
    print(head)
    print("-" * len(head))
    for c in best:
        label = configs[c][0]
        wall, cpu = best[c]
        broker_cpu = min(t[2] for t in timings[c])
        net = rate(events, cpu - fixed_cpu) if c != "loop" else rate(events, cpu)
        print(f"{label:<18} {wall:>8.3f} {cpu:>8.3f} {broker_cpu:>12.3f} {rate(events, wall):>10,.0f}"
              f" {rate(events, cpu):>13,.0f} {rate(events, cpu) / loop_cpu_rate:>11.1%} {net:>16,.0f}")
    print(f"fixed cost (engine p=1 over {small_events} events): {fixed_wall:.3f} s wall, {fixed_cpu:.3f} s CPU;"
          " net events/CPU-s of the engine subtracts that CPU")
    print()
    print("all runs (wall s / CPU s / broker CPU s):")
    for c, (label, _) in configs.items():
        print(f"  {label:<24} " + "  ".join(f"{w:.3f}/{u:.3f}/{b:.3f}" for w, u, b in timings[c]))
    print("CPU s: the reading process's own user + sys (wait4); broker CPU s: the mock broker's"
          " during the run (/proc), not included")


main()
