#!/usr/bin/env python3
"""Enrichment figures for scripts/bench: orders enriched with their customer's
region from a lookup table in Redis or PostgreSQL (jobs/order_totals), against
a hand-written loop using the same client library with the same batching.

  A private redis-server and a private PostgreSQL 15 (initdb into a temporary
  directory, fsync off) are started on free loopback ports and loaded with
  10,000 customers c0..c9999 of region region-(i % 50): the hash `customers`
  in Redis (HSET through redis-cli --pipe), the table customers (id text
  primary key, region text) in PostgreSQL (COPY through psql). EVENTS orders
  "timestamp_ms,order_id,customer_id,amount_cents" (deterministic by SEED:
  one per millisecond of event time with a disorder under 1.5 s, customer
  uniform over c0..c10099, so about 1% are not in the table) go into one file.
  Then, RUNS times and interleaved, for each table and each case
    99%   the lookup's default cache (100,000 entries): every key misses once
    0%    cache=0: every record's key goes to the table
  two configurations read the file and write region totals per 10 s window:
    loop  tests/bench/enrichment_baseline (one thread: chunks of in_flight =
          1000 records, one read of the chunk's distinct missing keys through
          the engine's table reader, batches of 256 keys pipelined)
    p=1   nagare run jobs/liborder_totals.so --parallelism 1 (embedded, no
          checkpoints, as the Kafka section)
  Each run is measured as a whole process (wall, and user+sys CPU from
  wait4's rusage); the server's CPU during the run (utime+stime from
  /proc/PID/stat; PostgreSQL: the postmaster, its live children and the
  children it reaped) is reported apart. The engine's hit rate and round
  trips come from the line its lookup prints when it closes. Every output
  must equal the loop's, with no late records and no dead letters. Once per
  run, p=1 also reads the first 100 orders (Redis, cache on): the engine's
  fixed cost (start, connecting, finishing), shown below the table and
  subtracted in "net events/CPU-s".

usage: bench_enrichment.py NAGARE JOB_LIB BASELINE WORK RUNS EVENTS SEED TIMEOUT
"""
import os
import pwd
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ports import free_port  # noqa: E402

import bench_process
import local_services  # noqa: E402
from local_services import cpu_of  # noqa: E402

nagare, job_lib, baseline, work = sys.argv[1:5]
runs, events, seed, timeout = (int(x) for x in sys.argv[5:9])
customers = 10_000
regions = 50
unknown_customers = 100  # c10000..c10099: not in the table
window_ms = 10_000
out_of_orderness_ms = 2_000
small_events = 100  # for the engine's fixed cost
in_flight = 1000  # the lookup's default, and the loop's chunk
batch = 256  # the lookup's default keys per command
pg_bin = "/usr/lib/postgresql/15/bin/"
tick = os.sysconf("SC_CLK_TCK")


def fail(message):
    print(f"bench: enrichment: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, what, **kwargs):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    if r.returncode != 0:
        fail(f"{what} failed (exit status {r.returncode}): {r.stderr}{r.stdout}")
    return r.stdout


def as_postgres(cmd):
    """cmd as PostgreSQL must run it: through runuser as "postgres" under root."""
    return ["/usr/sbin/runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def start_postgres(directory):
    """A private PostgreSQL 15 in directory/data (fsync off); returns (postmaster pid, port)."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(directory, pw.pw_uid, pw.pw_gid)
    data = os.path.join(directory, "data")
    run(as_postgres([pg_bin + "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
                     "--no-instructions"]), "initdb")
    port = free_port()
    run(as_postgres([pg_bin + "pg_ctl", "-D", data, "-l", os.path.join(directory, "log"), "-w", "-o",
                     f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
        "pg_ctl start")
    with open(os.path.join(data, "postmaster.pid")) as f:
        return int(f.readline()), port


def stop_postgres(directory):
    subprocess.run(as_postgres([pg_bin + "pg_ctl", "-D", os.path.join(directory, "data"), "-m", "immediate",
                                "-w", "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load_redis(port):
    """HSET customers c<i> region-<i % 50>, 1000 fields per command, through redis-cli --pipe."""
    def bulk(s):
        return f"${len(s)}\r\n{s}\r\n"
    commands = []
    for at in range(0, customers, 1000):
        fields = range(at, min(at + 1000, customers))
        parts = ["HSET", "customers"] + [x for i in fields for x in (f"c{i}", f"region-{i % regions}")]
        commands.append(f"*{len(parts)}\r\n" + "".join(bulk(p) for p in parts))
    run(["redis-cli", "-p", str(port), "--pipe"], "redis-cli --pipe", input="".join(commands))
    n = run(["redis-cli", "-p", str(port), "HLEN", "customers"], "redis-cli HLEN").strip()
    if n != str(customers):
        fail(f"Redis holds {n} customers, not {customers}")


def psql(port, *args, **kwargs):
    return run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres",
                "-v", "ON_ERROR_STOP=1", "-At", *args], "psql", **kwargs)


def load_postgres(port):
    psql(port, "-c", "CREATE TABLE customers (id text PRIMARY KEY, region text NOT NULL)")
    rows = "".join(f"c{i}\tregion-{i % regions}\n" for i in range(customers))
    psql(port, "-c", "COPY customers (id, region) FROM STDIN", input=rows)
    psql(port, "-c", "ANALYZE customers")
    n = psql(port, "-c", "SELECT count(*) FROM customers").strip()
    if n != str(customers):
        fail(f"PostgreSQL holds {n} customers, not {customers}")


def make_orders(path):
    """EVENTS orders, deterministic by seed: one per millisecond, each up to 1.5 s early."""
    rng = random.Random(seed)
    start_ms = 1_780_000_000_000
    with open(path, "w") as f:
        for i in range(events):
            ts = start_ms + i - rng.randrange(1500)
            customer = rng.randrange(customers + unknown_customers)
            f.write(f"{ts},o{i},c{customer},{rng.randrange(1, 100_000)}\n")


def tree_cpu_of(pid):
    """CPU seconds of pid, of its live children and of the children it reaped (PostgreSQL's
    backends are processes of the postmaster's)."""
    def stat(p):
        with open(f"/proc/{p}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    fields = stat(pid)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            f = stat(entry)
        except OSError:
            continue  # gone meanwhile
        if int(f[1]) == pid:  # ppid
            total += sum(int(f[i]) for i in (11, 12, 13, 14))
    return total / tick


def measure(cmd, log):
    """bench_process.measure with this section's timeout."""
    return bench_process.measure(cmd, log, timeout, fail)


def result_lines(directory):
    """The sorted result lines in directory, and the lines under its _dead-letter and late
    side outputs (names starting with '.' are not results)."""
    results, side = [], []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(root, directory).split(os.sep)[0]
        for name in files:
            if name.startswith((".", "_")):
                continue
            with open(os.path.join(root, name)) as f:
                lines = f.read().splitlines()
            (side if rel in ("_dead-letter", "late") else results).extend(lines)
    return sorted(results), side


def lookup_counts(log):
    """(hits, misses, round trips) summed over the lookup lines of an engine's or the loop's log."""
    hits = misses = trips = 0
    seen = False
    with open(log) as f:
        for line in f:
            m = re.search(r"lookup .*: (\d+) cache hits, (\d+) misses, (\d+) round trips", line)
            if m is None:
                m = re.search(r"enrichment_baseline: \d+ records, (\d+) cache hits, (\d+) misses, (\d+) round trips",
                              line)
            if m:
                seen = True
                hits, misses, trips = hits + int(m[1]), misses + int(m[2]), trips + int(m[3])
    if not seen:
        fail(f"no lookup counters in {log}")
    return hits, misses, trips


def main():
    os.makedirs(work, exist_ok=True)
    orders = os.path.join(work, "orders.csv")
    make_orders(orders)
    with open(orders) as f, open(os.path.join(work, "orders-100.csv"), "w") as out:
        out.writelines(f.readline() for _ in range(small_events))
    redis_dir = os.path.join(work, "redis")
    os.makedirs(redis_dir, exist_ok=True)
    # PostgreSQL's directory is the postgres user's: outside WORK, which may be private to root.
    pg_dir = tempfile.mkdtemp(prefix="nagare-bench-postgres-")
    redis = local_services.Redis(redis_dir, fail)
    redis_port = redis.port
    pg_pid = None
    try:
        pg_pid, pg_port = start_postgres(pg_dir)
        load_redis(redis_port)
        load_postgres(pg_port)
        tables = {
            "redis": (f"redis://127.0.0.1:{redis_port}?hash=customers", lambda: cpu_of(redis.proc.pid)),
            "postgres": (f"postgresql://postgres@127.0.0.1:{pg_port}/postgres?table=customers&key=id&value=region",
                         lambda: tree_cpu_of(pg_pid)),
        }
        run_all(orders, tables)
    finally:
        redis.stop()
        if pg_pid is not None:
            stop_postgres(pg_dir)
        shutil.rmtree(pg_dir, ignore_errors=True)


def run_all(orders, tables):
    size = os.path.getsize(orders)
    print(f"\nworkload: enrichment (jobs/order_totals), {events:,} orders of {size / events:.0f} bytes in one file,"
          f" {customers:,} customers in the table (+{unknown_customers} unknown ids), {regions} regions,"
          f" tumbling windows of {window_ms // 1000} s; lookups in_flight={in_flight}, batch={batch};"
          f" best of {runs} runs")
    cases = [(t, c) for t in tables for c in ("99%", "0%")]
    timings = {}  # (table, case, config) -> [(wall, cpu, server cpu, hits, misses, trips)]
    fixed = []  # (wall, cpu) of the engine over small_events orders
    for run_no in range(1, runs + 1):
        out = os.path.join(work, "fixed")
        shutil.rmtree(out, ignore_errors=True)
        fixed.append(measure([nagare, "run", job_lib, "--parallelism", "1", "--", "--input",
                              os.path.join(work, f"orders-{small_events}.csv"), "--customers", tables["redis"][0],
                              "--output", out, "--window", f"tumbling:{window_ms}", "--out-of-orderness",
                              str(out_of_orderness_ms)], os.path.join(work, "fixed.log")))
        if sum(int(line.split(",")[3]) for line in result_lines(out)[0]) != small_events:
            fail(f"the engine did not count {small_events} orders in the fixed-cost run")
        shutil.rmtree(out)
        print(f"bench: enrichment run {run_no} fixed cost ({small_events} orders) wall {fixed[-1][0]:7.3f} s"
              f"  cpu {fixed[-1][1]:7.3f} s", file=sys.stderr)
        for table, case in cases:
            uri, server_cpu = tables[table]
            cache = case == "99%"
            job_uri = uri if cache else uri + "&cache=0"
            expected = None
            for config in ("loop", "p1"):
                name = f"{table}-{case.rstrip('%')}-{config}"
                log = os.path.join(work, name + ".log")
                if config == "loop":
                    out = os.path.join(work, name + ".txt")
                    cmd = [baseline, "--input", orders, "--customers", uri, "--output", out,
                           "--cache", "on" if cache else "off", "--batch", str(batch), "--in-flight", str(in_flight)]
                else:
                    out = os.path.join(work, name)
                    shutil.rmtree(out, ignore_errors=True)
                    cmd = [nagare, "run", job_lib, "--parallelism", "1", "--", "--input", orders,
                           "--customers", job_uri, "--output", out, "--window", f"tumbling:{window_ms}",
                           "--out-of-orderness", str(out_of_orderness_ms)]
                s0 = server_cpu()
                wall, cpu = measure(cmd, log)
                time.sleep(0.2)  # the postmaster reaps the run's backend
                server = server_cpu() - s0
                hits, misses, trips = lookup_counts(log)
                if hits + misses != events:
                    fail(f"{name}: the lookup counted {hits + misses:,} keys, not {events:,}")
                timings.setdefault((table, case, config), []).append((wall, cpu, server, hits, misses, trips))
                print(f"bench: enrichment run {run_no} {table:<8} {case:>3} {config:<4} wall {wall:7.3f} s"
                      f"  cpu {cpu:7.3f} s  server cpu {server:6.3f} s  hits {hits / events:6.2%}"
                      f"  round trips {trips:,}", file=sys.stderr)
                if config == "loop":
                    with open(out) as f:
                        expected = sorted(f.read().splitlines())
                    os.remove(out)
                    if sum(int(line.split(",")[3]) for line in expected) != events:
                        fail(f"{name}: the loop's totals do not add up to {events:,} orders")
                    continue
                got, side = result_lines(out)
                if side:
                    fail(f"{name}: {len(side)} late records or dead letters (see {out})")
                if got != expected:
                    diff = sorted(set(got) ^ set(expected))[:10]
                    fail(f"WRONG OUTPUT: {name} differs from the loop's ({len(got)} lines against"
                         f" {len(expected)}) on run {run_no}; some differing lines: {diff}")
                shutil.rmtree(out)
    print(f"bench: enrichment: every output equals the loop's", file=sys.stderr)

    def rate(n, s):
        return n / s if s > 0 else float("inf")

    print()
    fixed_wall, fixed_cpu = min(w for w, _ in fixed), min(u for _, u in fixed)
    head = (f"{'table':<9} {'hits':>5} {'configuration':<15} {'wall s':>7} {'CPU s':>7} {'server CPU s':>12}"
            f" {'events/s':>10} {'events/CPU-s':>12} {'vs loop/CPU':>11} {'net events/CPU-s':>16}"
            f" {'hit rate':>8} {'round trips':>11}")
    print(head)
    print("-" * len(head))
    for table, case in cases:
        loop_cpu = min(t[1] for t in timings[(table, case, "loop")])
        for config, label in (("loop", "loop (1 thread)"), ("p1", "engine p=1")):
            ts = timings[(table, case, config)]
            wall, cpu = min(t[0] for t in ts), min(t[1] for t in ts)
            server = min(t[2] for t in ts)
            _, _, _, hits, misses, trips = ts[-1]
            net = rate(events, cpu - fixed_cpu) if config == "p1" else rate(events, cpu)
            print(f"{table:<9} {case:>5} {label:<15} {wall:>7.3f} {cpu:>7.3f} {server:>12.3f}"
                  f" {rate(events, wall):>10,.0f} {rate(events, cpu):>12,.0f} {loop_cpu / cpu:>11.1%}"
                  f" {net:>16,.0f} {hits / (hits + misses):>8.2%} {trips:>11,}")
    print(f"fixed cost (engine p=1 over {small_events} orders, Redis): {fixed_wall:.3f} s wall, {fixed_cpu:.3f} s CPU;"
          " net events/CPU-s of the engine subtracts that CPU")
    print()
    print("all runs (wall s / CPU s / server CPU s):")
    for (table, case, config), ts in timings.items():
        label = f"{table} {case} {'loop' if config == 'loop' else 'engine p=1'}"
        print(f"  {label:<22} " + "  ".join(f"{w:.3f}/{u:.3f}/{s:.3f}" for w, u, s, *_ in ts))
    print("CPU s: the process's own user + sys (wait4); server CPU s: redis-server's, or the postmaster's"
          " and its backends', during the run (/proc), not included; hit rate and round trips: the"
          " lookup's counters (the last run)")


main()
