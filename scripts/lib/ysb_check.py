#!/usr/bin/env python3
"""The Yahoo Streaming Benchmark's correctness check (YSB's dostats and check-correct,
data/src/setup/core.clj): the views per campaign and window computed independently
from the event files, compared with what a job wrote.

As a module:
  expected_counts(event_files, ads_file, window_ms) -> (counts, stats)
  read_lines_output(paths, errors=None) -> counts
  read_redis_output(host, port, errors=None) -> (counts, time_updated)
  compare(expected, actual) -> [difference, ...]
  latency(time_updated, window_ms) -> {"p50": ms, "p99": ms, "max": ms}
where counts is {(campaign_id, window_start_ms): views}.

As a command:
  ysb_check.py --events FILE... --ads-file FILE [--window-ms 10000]
               (--lines PATH... | --redis HOST:PORT)
prints "ysb check: correct: ..." and exits 0, or up to 10 differences and
"ysb check: WRONG: N differences" and exits 1 (2 for bad arguments or unreadable input).

The events are read as ysb_baseline reads them: lines split at "\\n", one "\\r"
before it removed, empty lines skipped. An event is a JSON object with string
ad_id and event_type and an event_time that is a string of decimal digits with an
optional "-" (or a JSON integer) within 64-bit signed range; anything else is
malformed (counted, not an error). A view of an ad in the ads file counts in its
campaign's window t - t mod window_ms (floor); a view of another ad is dropped.
Python standard library only.
"""
import argparse
import json
import os
import re
import socket
import sys

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# ysb_generate's exact line, whose strings hold printable ASCII without quotes or
# backslashes: what json.loads would return for it is then what the groups hold.
# Any other line goes through json.loads.
_STR = rb'[\x20\x21\x23-\x5b\x5d-\x7e]*'
_FAST_EVENT = re.compile(
    rb'\{"user_id": "' + _STR + rb'", "page_id": "' + _STR + rb'", "ad_id": "(' + _STR +
    rb')", "ad_type": "' + _STR + rb'", "event_type": "(' + _STR + rb')", "event_time": "(-?[0-9]+)", '
    rb'"ip_address": "' + _STR + rb'"\}')
_TIME = re.compile(r'-?[0-9]+')


def _lines(path):
    """The lines of a file as bytes: split at b"\\n", one b"\\r" before it removed,
    empty lines skipped."""
    with open(path, "rb") as f:
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            if line:
                yield line


def _event_fields(line):
    """(ad_id, event_type, event_time) of one event line, or None if malformed."""
    m = _FAST_EVENT.fullmatch(line)
    if m:
        t = int(m.group(3))
        if not INT64_MIN <= t <= INT64_MAX:
            return None
        return m.group(1).decode("ascii"), m.group(2).decode("ascii"), t
    try:
        event = json.loads(line)
    except ValueError:  # also UnicodeDecodeError
        return None
    if not isinstance(event, dict):
        return None
    ad, kind, t = event.get("ad_id"), event.get("event_type"), event.get("event_time")
    if not isinstance(ad, str) or not isinstance(kind, str):
        return None
    if isinstance(t, str) and _TIME.fullmatch(t):
        t = int(t)
    elif not isinstance(t, int) or isinstance(t, bool):
        return None
    if not INT64_MIN <= t <= INT64_MAX:
        return None
    return ad, kind, t


def read_ads(ads_file):
    """{ad_id: campaign_id} from "ad_id campaign_id" lines (the first line of an ad wins)."""
    ads = {}
    with open(ads_file, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split(" ")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise ValueError(f'{ads_file}:{number}: not "ad_id campaign_id"')
            ads.setdefault(parts[0], parts[1])
    return ads


def window_start(t, window_ms):
    """The start of the window of event time t: t - t mod window_ms, floor."""
    return t - t % window_ms  # Python's % has the sign of the divisor


def expected_counts(event_files, ads_file, window_ms=10000):
    """The views per (campaign, window start) of the events in event_files (files
    or directories, see event_paths), and stats: events, views (of any ad),
    known_views, unknown (events of any type whose ad is in no campaign),
    unknown_views, malformed."""
    ads = read_ads(ads_file)
    counts = {}
    stats = dict(events=0, views=0, known_views=0, unknown=0, unknown_views=0, malformed=0)
    for path in event_paths(event_files):
        for line in _lines(path):
            stats["events"] += 1
            fields = _event_fields(line)
            if fields is None:
                stats["malformed"] += 1
                continue
            ad, kind, t = fields
            start = window_start(t, window_ms)
            if start < INT64_MIN:
                stats["malformed"] += 1
                continue
            campaign = ads.get(ad)
            if campaign is None:
                stats["unknown"] += 1
            if kind != "view":
                continue
            stats["views"] += 1
            if campaign is None:
                stats["unknown_views"] += 1
                continue
            stats["known_views"] += 1
            key = (campaign, start)
            counts[key] = counts.get(key, 0) + 1
    return counts, stats


def _visible_files(directory):
    """Every regular file below directory, skipping names (of files and
    directories) that start with "_" or "." (a file sink's side outputs and
    work files), in sorted order."""
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.startswith(("_", ".")) and os.path.isfile(path):
                out.append(path)
    return out


def event_paths(paths):
    """Files as given; a directory stands for its visible files."""
    out = []
    for p in paths:
        out.extend(_visible_files(p) if os.path.isdir(p) else [p])
    return out


def _report(errors, message):
    if errors is None:
        raise ValueError(message)
    errors.append(message)


def read_lines_output(paths, errors=None):
    """{(campaign, window_start): count} from "campaign,window_start,count" lines in
    the files of paths (a directory stands for its visible files). A line that is
    not three such fields, or a window seen twice, is an error: appended to
    errors if given, else raised as ValueError. Empty lines are skipped."""
    counts = {}
    for path in event_paths(paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                parts = line.split(",")
                try:
                    if len(parts) != 3 or not parts[0]:
                        raise ValueError
                    key, count = (parts[0], int(parts[1])), int(parts[2])
                except ValueError:
                    _report(errors, f"{path}:{number}: not campaign,window_start,count: {line!r}")
                    continue
                if key in counts:
                    _report(errors, f"{path}:{number}: campaign {key[0]} window {key[1]} "
                                    f"written twice ({counts[key]} and {count})")
                    continue
                counts[key] = count
    return counts


class _Resp:
    """A minimal Redis client: pipelined commands, RESP2 replies."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def pipeline(self, commands):
        """The replies of commands (lists of str), in order; an error reply is
        returned as a RuntimeError object."""
        out = []
        for cmd in commands:
            out.append(b"*%d\r\n" % len(cmd))
            for arg in cmd:
                a = arg.encode() if isinstance(arg, str) else arg
                out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return [self._reply() for _ in commands]

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("Redis closed the connection")
        self.buf += chunk

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError(f"odd reply from Redis: {line[:80]!r}")


def read_redis_output(host, port, errors=None):
    """YSB's output in Redis: (counts, time_updated), both keyed by
    (campaign, window_start). Per campaign of SMEMBERS campaigns, HGET C windows
    names a list of window starts (LRANGE 0 -1); HGET C <window_start> names a
    hash with seen_count and time_updated (ms). A window without them is an
    error (appended to errors if given, else raised as ValueError)."""
    r = _Resp(host, port)
    try:
        def check(reply, what):
            if isinstance(reply, RuntimeError):
                raise ValueError(f"Redis {host}:{port}: {what}: {reply}")
            return reply

        campaigns = sorted(check(r.pipeline([["SMEMBERS", "campaigns"]])[0], "SMEMBERS campaigns"))
        lists = r.pipeline([["HGET", c, "windows"] for c in campaigns])
        with_list = [(c, check(k, f"HGET {c} windows")) for c, k in zip(campaigns, lists)]
        with_list = [(c, k) for c, k in with_list if k is not None]
        starts = r.pipeline([["LRANGE", k, "0", "-1"] for _, k in with_list])
        windows = []  # (campaign, window start text)
        for (c, k), ws in zip(with_list, starts):
            for w in sorted(set(check(ws, f"LRANGE {k}"))):
                windows.append((c, w))
        keys = r.pipeline([["HGET", c, w] for c, w in windows])
        fields = r.pipeline([["HMGET", k, "seen_count", "time_updated"]
                             for k in keys if isinstance(k, str)])
        fields = iter(fields)
        counts, updated = {}, {}
        for (c, w), k in zip(windows, keys):
            if not isinstance(k, str):
                _report(errors, f"campaign {c} window {w}: HGET {c} {w} gives {k!r}")
                continue
            values = check(next(fields), f"HMGET {k}")
            try:
                key = (c, int(w))
                counts[key] = int(values[0])
                updated[key] = int(values[1])
            except (TypeError, ValueError):
                _report(errors, f"campaign {c} window {w} (hash {k}): seen_count, time_updated "
                                f"= {values!r}")
        return counts, updated
    finally:
        r.close()


def compare(expected, actual):
    """The differences between expected and actual counts, as sentences, sorted
    by campaign and window."""
    out = []
    for key in sorted(set(expected) | set(actual)):
        campaign, start = key
        e, a = expected.get(key), actual.get(key)
        if a is None:
            out.append(f"missing: campaign {campaign} window {start}: expected {e}")
        elif e is None:
            out.append(f"extra: campaign {campaign} window {start}: {a}, expected none")
        elif a != e:
            out.append(f"different: campaign {campaign} window {start}: {a}, expected {e}")
    return out


def latency(time_updated, window_ms=10000):
    """{"p50", "p99", "max"} of time_updated - (window_start + window_ms) in ms over
    the windows (nearest rank), None for each if there are none."""
    values = sorted(t - (start + window_ms) for (_, start), t in time_updated.items())
    if not values:
        return {"p50": None, "p99": None, "max": None}

    def rank(p):
        return values[max(0, -(-len(values) * p // 100) - 1)]
    return {"p50": rank(50), "p99": rank(99), "max": values[-1]}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ysb_check.py",
        description="Checks YSB's views per campaign and window against the event files.")
    parser.add_argument("--events", nargs="+", required=True, metavar="FILE",
                        help="the event files (JSON lines) or directories of them")
    parser.add_argument("--ads-file", required=True, help='"ad_id campaign_id" lines')
    parser.add_argument("--window-ms", type=int, default=10000)
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--lines", nargs="+", metavar="PATH",
                     help="campaign,window_start,count files or directories")
    out.add_argument("--redis", metavar="HOST:PORT", help="YSB's layout in Redis")
    args = parser.parse_args(argv)
    if args.window_ms < 1:
        parser.error("--window-ms must be at least 1")
    host, port = None, None
    if args.redis:
        host, _, port = args.redis.removeprefix("redis://").rpartition(":")
        if not host or not port.isdigit():
            parser.error(f"--redis wants HOST:PORT, not {args.redis!r}")

    errors = []
    time_updated = None
    try:
        expected, stats = expected_counts(args.events, args.ads_file, args.window_ms)
        if args.redis:
            actual, time_updated = read_redis_output(host, int(port), errors)
        else:
            actual = read_lines_output(args.lines, errors)
    except (OSError, ValueError) as e:
        print(f"ysb check: {e}", file=sys.stderr)
        return 2
    differences = errors + compare(expected, actual)
    if differences:
        for d in differences[:10]:
            print(f"  {d}")
        print(f"ysb check: WRONG: {len(differences)} differences")
        return 1
    print(f"ysb check: correct: {len(expected)} windows, {stats['known_views']} views of known ads "
          f"({stats['unknown']} events of unknown ads)")
    if time_updated:
        lat = latency(time_updated, args.window_ms)
        print(f"ysb check: latency after the window's end: p50 {lat['p50']} ms, "
              f"p99 {lat['p99']} ms, max {lat['max']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
