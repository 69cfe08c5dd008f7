"""Measuring a benchmark's process as scripts/bench does: wall time and the CPU of the
process and its children (wait4's rusage), with a deadline."""
import os
import signal
import subprocess
import sys
import time


def measure(cmd, log, timeout, fail):
    """Runs cmd with its output in log; returns (wall s, CPU s of it and its children).
    Kills it and calls fail(message) after timeout s, or when it exits non-zero."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)

        def on_alarm(signum, frame):
            proc.kill()
            fail(f"timed out after {timeout} s: {' '.join(cmd)}")
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(timeout)
        _, status, usage = os.wait4(proc.pid, 0)
        signal.alarm(0)
        wall = time.perf_counter() - start
        returncode = os.waitstatus_to_exitcode(status)
    if returncode != 0:
        with open(log) as f:
            sys.stderr.write(f.read())
        fail(f"failed (exit status {returncode}): {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime
