#!/usr/bin/env python3
"""State backends for scripts/bench: keyed state of millions of keys in LevelDB.

  keyed_count (generator source, keyed count, file sink) over KEYS distinct
  keys on a coordinator and one node process (2 slots), parallelism 1, with
  a checkpoint every INTERVAL ms, once per backend given (leveldb, memory).
  Reported per run: the checkpoints' sizes and durations (trigger to durable
  record, from the coordinator's log) and whether each was a complete
  snapshot or a delta, the node process's resident memory (VmRSS sampled
  every 0.25 s: median and peak, and the peak of its anonymous part, the
  heap without file pages) beside the size of the state (the count task's
  last complete snapshot), the peak size of the node's LevelDB state
  directory, the throughput, and that the output equals the hand-written
  loop's (keyed_count_baseline).

  A snapshot counts as complete when the count task's part of the checkpoint
  is at least as large as at the previous complete one (the state only grows
  in a count); the first is always complete.

usage: bench_state_backend.py NAGARE JOBS_DIR BASELINE WORK_DIR KEYS RECORDS INTERVAL_MS TIMEOUT
                              BACKEND...
(BASELINE: tests/bench/keyed_count_baseline, whose output the job's must equal)
"""
import os
import re
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import local_services  # noqa: E402
from local_services import cpu_of  # noqa: E402

nagare, jobs, baseline, work = sys.argv[1:5]
keys, records, interval, timeout = (int(x) for x in sys.argv[5:9])
backends = sys.argv[9:] or ["leveldb"]
seed = 1


def fail(message):
    sys.exit(f"bench: {message}")


def Cluster(name):
    """A coordinator (logging at info) and one node with 2 slots on loopback, in work/name."""
    c = local_services.Cluster(nagare, os.path.join(work, name), fail, nodes=1,
                               timeout=timeout, coordinator_args=("--log-level", "info"))
    c.node_dir = f"{c.dir}/node1"
    return c


def memory_of(pid):
    """(VmRSS, RssAnon) of a process in bytes."""
    rss = anon = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1]) * 1024
    return rss, anon


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass  # removed meanwhile
    return total


def digest(directory):
    """(lines, order-independent checksum) of the result files in `directory`."""
    lines = checksum = 0
    for name in sorted(os.listdir(directory)):
        if name.startswith((".", "_")):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            for line in f:
                checksum = (checksum + zlib.crc32(line) * 0x9E3779B1 + len(line)) % (1 << 64)
                lines += 1
    return lines, checksum


def mib(n):
    return f"{n / (1 << 20):,.1f} MiB"


def run(backend):
    c = Cluster(backend)
    out = os.path.join(c.dir, "out")
    peak_rss = peak_anon = peak_disk = 0
    try:
        node = c.procs["node1"].pid
        cpu0 = cpu_of(node)
        start = time.perf_counter()
        sub = c.client("submit", os.path.join(jobs, "libkeyed_count.so"), "--parallelism", "1",
                       "--state-backend", backend, "--checkpoint-interval", str(interval),
                       "--", "--records", str(records), "--keys", str(keys), "--seed", str(seed),
                       "--output", out)
        if sub.returncode != 0:
            sys.exit("bench: submit failed: " + sub.stderr)
        job = sub.stdout.strip()
        waiter = subprocess.Popen([nagare, "wait", "--coordinator", c.address, job],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        samples = 0
        rss_series = []
        while waiter.poll() is None:
            rss, anon = memory_of(node)
            rss_series.append(rss)
            peak_rss, peak_anon = max(peak_rss, rss), max(peak_anon, anon)
            if samples % 8 == 0:
                peak_disk = max(peak_disk, tree_bytes(os.path.join(c.node_dir, "state")))
            samples += 1
            if time.perf_counter() - start > timeout:
                waiter.kill()
                sys.exit(f"bench: {backend} run timed out after {timeout} s")
            time.sleep(0.25)
        wall = time.perf_counter() - start
        cpu = cpu_of(node) - cpu0
        text = waiter.stdout.read()
        if waiter.returncode != 0 or "FINISHED" not in text:
            sys.exit(f"bench: job {job} did not finish: {text}\n{c.log('coordinator')[-3000:]}")
        done = re.findall(r"checkpoint (\d+) complete: (\d+) bytes, (\d+) ms", c.log("coordinator"))
        checkpoints = []
        units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
        for cid, total, ms in done:
            # The count task's part: the whole checkpoint but the source's positions (its row
            # in `checkpoints JOB ID`, a small size).
            shown = c.client("shell", "-c", f"checkpoints {job} {cid}").stdout
            source = 0
            for line in shown.splitlines():
                m = re.search(r"(\d+(?:\.\d+)?) (B|KiB|MiB|GiB)", line)
                if "generate" in line and m:
                    source = int(float(m.group(1)) * units[m.group(2)])
            checkpoints.append((int(cid), int(total), int(ms), int(total) - source))
    finally:
        c.stop()
    got = digest(out)
    with open(os.path.join(c.dir, "rss.tsv"), "w") as f:  # for a closer look
        f.writelines(f"{i / 4:.2f}\t{r >> 20}\n" for i, r in enumerate(rss_series))
    typical = sorted(rss_series)[len(rss_series) // 2] if rss_series else 0
    return wall, cpu, (peak_rss, peak_anon, typical), peak_disk, checkpoints, got


print(f"bench: state backends: keyed count, {keys:,} keys, {records:,} records, checkpoints every "
      f"{interval} ms, p=1, one node process", file=sys.stderr)
os.makedirs(work, exist_ok=True)
reference = os.path.join(work, "reference")
subprocess.run([baseline, "--records", str(records), "--keys", str(keys), "--seed", str(seed),
                "--output", reference], check=True, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL, timeout=timeout)
expected = digest(reference)
print()
print(f"state backends: keyed count over {keys:,} keys ({expected[0]:,} of them hit), "
      f"{records:,} records, checkpoint every {interval / 1000:g} s, p=1, a node process with "
      f"2 slots")
runs = {}
for backend in backends:
    runs[backend] = run(backend)
    if runs[backend][-1] != expected:
        got = runs[backend][-1]
        sys.exit(f"bench: WRONG OUTPUT with {backend}: {got[0]:,} lines, checksum {got[1]:x}; "
                 f"the loop's: {expected[0]:,} lines, checksum {expected[1]:x}")
# The state's size: the memory backend's final checkpoint (a complete snapshot of the whole
# state), else the largest complete snapshot seen.
state = 0
if "memory" in runs:
    state = runs["memory"][4][-1][3]
for backend, (wall, cpu, (rss, anon, typical), disk, checkpoints, got) in runs.items():
    print()
    print(f"  {backend}: {wall:.1f} s wall, {records / wall:,.0f} records/s, node CPU {cpu:.1f} s; "
          f"output equals the loop's")
    last_complete = 0
    for cid, total, ms, task in checkpoints:
        complete = not last_complete or (task and task >= last_complete)
        if complete and task:
            last_complete = task
            if "memory" not in runs:
                state = max(state, task)
        kind = "complete" if complete else "delta"
        print(f"    checkpoint {cid:3d}: {total:>14,} bytes {ms:>7,} ms  {kind}")
    print(f"    node RSS: median {mib(typical)}, peak {mib(rss)} (anonymous {mib(anon)}); "
          f"LevelDB state directory: peak {mib(disk)}")
print()
print(f"  state at the end: {mib(state)} ("
      + ("the memory backend's final, complete snapshot)" if "memory" in runs
         else "the largest complete snapshot)"))
