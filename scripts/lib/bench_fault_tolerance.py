#!/usr/bin/env python3
"""Fault-tolerance figures for scripts/bench, on a real local cluster.

  checkpoint overhead: keyed_count (generator source, keyed aggregate, file
      sink) on a coordinator and two node processes, parallelism 2, without
      periodic checkpoints and with one every second, runs interleaved; the
      ratio of the best records/s of each.
  recovery time: running_sum (text files, rolling keyed sum, exactly-once
      file sink) with checkpoints every 200 ms and restarts without delay; one
      node is killed with SIGKILL in mid-run. Reported: kill -> job running
      again (the restart's downtime as the job master measured it), and kill
      -> first newly committed output file after the restore. The output is
      checked against a failure-free run of the same input.

usage: bench_fault_tolerance.py NAGARE JOBS_DIR WORK_DIR RUNS RECORDS KEYS TIMEOUT
"""
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import local_services  # noqa: E402
from ports import free_port  # noqa: E402

nagare, jobs, work = sys.argv[1], sys.argv[2], sys.argv[3]
runs, records, keys, timeout = (int(x) for x in sys.argv[4:8])


def fail(message):
    sys.exit(f"bench: {message}")


def Cluster(name):
    """A coordinator and two nodes (2 slots each) on loopback, in work/name."""
    return local_services.Cluster(nagare, os.path.join(work, name), fail, timeout=timeout)


def results(directory):
    lines = []
    for name in sorted(os.listdir(directory)):
        if name.startswith((".", "_")):
            continue
        with open(os.path.join(directory, name)) as f:
            lines += f.read().splitlines()
    return sorted(lines)


def checkpoint_overhead():
    c = Cluster("overhead")
    lib = os.path.join(jobs, "libkeyed_count.so")
    best = {}
    completed = {}
    try:
        for run in range(runs):
            for interval in (0, 1000):
                out = os.path.join(c.dir, f"out-{run}-{interval}")
                before = c.log("coordinator").count(" complete: ")
                start = time.perf_counter()
                job = c.submit(lib, "--parallelism", "2", "--checkpoint-interval", str(interval),
                                "--", "--records", str(records), "--keys", str(keys),
                                "--output", out)
                c.wait(job)
                wall = time.perf_counter() - start
                # Checkpoints besides the final one that commits the output.
                n = c.log("coordinator").count(" complete: ") - before - 1
                print(f"bench: checkpoints {'every 1 s' if interval else 'off':>10}: run {run + 1} "
                      f"wall {wall:.3f} s, {n} periodic checkpoints", file=sys.stderr)
                best[interval] = min(best.get(interval, wall), wall)
                completed[interval] = max(completed.get(interval, 0), n)
                if run == 0:
                    got = results(out)
                    if interval == 0:
                        reference = got
                    elif got != reference:
                        sys.exit("bench: WRONG OUTPUT with checkpoints: differs from the run without")
        sizes = re.findall(r"checkpoint \d+ complete: (\d+) bytes, (\d+) ms", c.log("coordinator"))
    finally:
        c.stop()
    off, on = records / best[0], records / best[1000]
    print()
    print(f"checkpoint overhead: keyed count, {records:,} records, {keys:,} keys, cluster of 2 nodes, "
          f"p=2, best of {runs}")
    print(f"  no periodic checkpoints  {best[0]:8.3f} s  {off:14,.0f} records/s")
    print(f"  checkpoint every 1 s     {best[1000]:8.3f} s  {on:14,.0f} records/s  "
          f"({completed[1000]} checkpoints per run)")
    print(f"  throughput with checkpoints: {on / off:.1%} of without "
          f"(overhead {1 - on / off:+.1%})")
    if sizes:
        b = [int(s) for s, _ in sizes]
        d = [int(ms) for _, ms in sizes]
        print(f"  checkpoint size {min(b):,}-{max(b):,} bytes, duration {min(d)}-{max(d)} ms "
              f"(trigger to durable record, {len(sizes)} checkpoints)")


def write_running_sum_input(directory, files, lines):
    paths = []
    for f in range(files):
        path = os.path.join(directory, f"in{f}.csv")
        subprocess.run(["awk", f"BEGIN {{ for (i = 0; i < {lines}; i++) "
                        f"printf \"f{f}k%d,%d\\n\", (i * 7919) % 5000, (i % 2001) - 1000 }}"],
                       stdout=open(path, "w"), check=True)
        paths.append(path)
    return paths


def committed_checkpoints(directory):
    ids = set()
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            m = re.match(r"part-\d+-(\d+)$", name)
            if m:
                ids.add(int(m.group(1)))
    return ids


def recovery_time():
    c = Cluster("recovery")
    lib = os.path.join(jobs, "librunning_sum.so")
    lines = max(1, records // 40)
    paths = write_running_sum_input(c.dir, 4, lines)
    downtimes, first_outputs = [], []
    try:
        reference_out = os.path.join(c.dir, "reference")
        job = c.submit(lib, "--parallelism", "2", "--", "--input", *paths, "--output",
                        reference_out)
        c.wait(job)
        reference = results(reference_out)
        for run in range(runs):
            if run > 0:  # the killed node comes back for the next run
                c.start("node2", ["node", "--coordinator", c.address, "--listen",
                                  f"127.0.0.1:{free_port()}", "--slots", "2",
                                  "--data-dir", f"{c.dir}/node2-{run}"])
                time.sleep(1)
            out = os.path.join(c.dir, f"out-{run}")
            job = c.submit(lib, "--parallelism", "2", "--checkpoint-interval", "200",
                            "--batch-size", "64", "--credit", "2",
                            "--restart-strategy", "fixed-delay:0:3",
                            "--", "--input", *paths, "--output", out)
            until = time.time() + timeout
            while len(committed_checkpoints(out)) < 2:
                if time.time() > until:
                    sys.exit("bench: no checkpoint committed output")
                time.sleep(0.005)
            seen = max(committed_checkpoints(out))
            killed = time.perf_counter()
            c.procs["node2"].kill()
            first = None
            while first is None:
                if max(committed_checkpoints(out)) > seen:
                    first = time.perf_counter() - killed
                elif time.perf_counter() - killed > timeout:
                    sys.exit("bench: no output committed after the restore")
                else:
                    time.sleep(0.001)
            c.wait(job)
            shown = c.client("shell", "-c", f"restarts {job}").stdout
            m = re.search(r"([0-9.]+)\s*ms", shown)
            downtime = float(m.group(1)) if m else float("nan")
            got = results(out)
            if got != reference:
                sys.exit(f"bench: WRONG OUTPUT after recovery: {len(got)} lines, "
                         f"expected {len(reference)}")
            print(f"bench: recovery run {run + 1}: running again after {downtime:.0f} ms, "
                  f"first new output after {first * 1000:.0f} ms", file=sys.stderr)
            downtimes.append(downtime)
            first_outputs.append(first * 1000)
    finally:
        c.stop()
    print()
    print(f"recovery time: running_sum, {4 * lines:,} records, cluster of 2 nodes, p=2, "
          f"checkpoints every 200 ms, one node killed with SIGKILL mid-run; {runs} runs")
    print(f"  kill -> job running again:          best {min(downtimes):6.0f} ms, "
          f"worst {max(downtimes):6.0f} ms")
    print(f"  kill -> first committed new output: best {min(first_outputs):6.0f} ms, "
          f"worst {max(first_outputs):6.0f} ms (includes waiting for the next checkpoint)")
    print("  output after recovery equals the failure-free run: yes")


checkpoint_overhead()
recovery_time()
