"""Inputs and independent expected outputs of the bundled jobs, for scripts/chaos.

Plain Python, no Nagare code: what running_sum and window_count must write
for given input files, computed from their documented contracts (the headers
of jobs/running_sum/running_sum.cpp and jobs/window_count/window_count.cpp,
docs/user-guide.md "Windows" and "Event time and watermarks").

Lines are read as the text file source reads them: split at b"\\n", one
trailing b"\\r" removed, no line after a final b"\\n". Everything is bytes, so
dead letters' byte offsets and odd characters compare exactly.

running_sum: every file has keys of its own, so a key's sums do not depend on
how the job interleaves the files.

window_count: one file, read by one source subtask (--source-parallelism 1).
A source emits a watermark after each poll of up to --batch-size (<= 1024)
records, so when a record reaches the window operator the watermark W lies
between the watermark of the records of some earlier poll and that of every
record before it. A record within the out-of-orderness bound of the
file's maximum so far is always added to windows that have not fired.
What happens to a record beyond the bound depends on W; the generator keeps
such a record only if every one of its windows gets the same treatment (added,
added to a fired window that fires again, or dropped) for any W between the
watermark of all records before it and one LAG records older (four polls of
1024 records or lines), and otherwise writes a record within the bound. On
such an input one run of the window semantics with the latest watermark gives
the only possible output.
"""
import random

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
LAG = 4096  # records (and lines) certainly covered by the watermark a record meets


def lines_of(data):
    """(offset, line) for every line of `data` (bytes), as the source reads them."""
    out = []
    begin = 0
    n = len(data)
    while begin < n:
        end = data.find(b"\n", begin)
        if end < 0:
            end = n
        line = data[begin:end]
        if line.endswith(b"\r"):
            line = line[:-1]
        out.append((begin, line))
        begin = end + 1
    return out


def parse_int64(b):
    """'-'? digit+ within the signed 64-bit range (leading zeros allowed), else None."""
    digits = b[1:] if b.startswith(b"-") else b
    if not digits or not digits.isdigit():
        return None
    v = int(b)
    return v if INT64_MIN <= v <= INT64_MAX else None


def wrap64(v):
    """v as a signed 64-bit integer, wrapping around modulo 2^64."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= (1 << 63) else v


def dead_letter_line(index, path, offset, reason, line):
    return b"%d %s\t%d\t%s\t%s" % (index, path.encode(), offset, reason.encode(), line)


def running_sum_rejection(line):
    """Why running_sum rejects a line, "" if it does not."""
    comma = line.find(b",")
    if comma < 0:
        return "no comma"
    if comma == 0:
        return "empty key"
    if any(b < 0x20 or b > 0x7E for b in line[:comma]):
        return "key is not printable ASCII"
    if parse_int64(line[comma + 1:]) is None:
        return "value is not a 64-bit integer"
    return ""


def window_count_rejection(line):
    """Why window_count rejects a line (the first reason that applies), "" if it does not."""
    fields = line.split(b",")
    if len(fields) != 3:
        return "not three comma-separated fields"
    if not fields[1]:
        return "empty key"
    if parse_int64(fields[0]) is None:
        return "timestamp is not a 64-bit integer"
    if parse_int64(fields[2]) is None:
        return "value is not a 64-bit integer"
    return ""


# ---------------------------------------------------------------- running_sum

def generate_running_sum_input(rng, file_index, lines):
    """A "key,value" file whose keys all start with f<file_index>-: values of
    both signs, with leading zeros and the 64-bit extremes (sums wrap), about
    one malformed line in twenty of every kind, LF and CRLF endings, and no
    final newline for odd files."""
    prefix = b"f%d-" % file_index
    odd_keys = [prefix + b"key with spaces", prefix + b"a:b=c;d", prefix + b"-7", prefix + b"x~"]
    malformed = [b"", b"no comma here", b",5", prefix + b"k1,", prefix + b"k1,abc",
                 prefix + b"k1,1.5", prefix + b"k1, 5", prefix + b"k1,+5", prefix + b"k1,5,6",
                 prefix + b"k1,-", prefix + b"k1,9223372036854775808",
                 prefix + b"k1,-9223372036854775809", prefix + b"k1,0x10", prefix + b"k1,1e3",
                 prefix + b"k\x001,5", prefix + b"k\xc3\xa9,5", prefix + b"k\t1,5"]
    keys = [prefix + b"k%d" % k for k in range(40)]
    out = []
    for n in range(lines):
        kind = rng.randrange(40)
        if kind < 2:
            out.append(malformed[rng.randrange(len(malformed))])
        else:
            key = odd_keys[rng.randrange(len(odd_keys))] if kind < 4 else keys[rng.randrange(40)]
            if kind == 4:
                value = b"9223372036854775807"
            elif kind == 5:
                value = b"-9223372036854775808"
            elif kind == 6:
                value = b"-000%d" % rng.randrange(100)
            elif kind == 7:
                value = b"00%d" % rng.randrange(100)
            else:
                value = b"%d" % rng.randint(-1000, 1000)
            out.append(key + b"," + value)
        if n + 1 < lines or file_index % 2 == 0:
            out.append(b"\r\n" if rng.randrange(6) == 0 else b"\n")
    return b"".join(out)


def expected_running_sum(paths, texts):
    """(results, dead letters): the lines running_sum writes for these files
    (the i-th of `texts` is the content of the i-th of `paths`, --input in
    this order), each a sorted list of bytes."""
    results, dead = [], []
    sums = {}
    for index, (path, text) in enumerate(zip(paths, texts)):
        for offset, line in lines_of(text):
            why = running_sum_rejection(line)
            if why:
                dead.append(dead_letter_line(index, path, offset, why, line))
                continue
            comma = line.find(b",")
            key = line[:comma]
            total = wrap64(sums.get(key, 0) + parse_int64(line[comma + 1:]))
            sums[key] = total
            results.append(key + b",%d" % total)
    return sorted(results), sorted(dead)


# ---------------------------------------------------------------- window_count

class WindowSpec:
    """tumbling:SIZE or sliding:SIZE:SLIDE."""

    def __init__(self, size, slide=None):
        self.size = size
        self.slide = slide

    def text(self):
        if self.slide is None:
            return "tumbling:%d" % self.size
        return "sliding:%d:%d" % (self.size, self.slide)

    def starts(self, ts):
        """The starts of the windows that hold ts."""
        if self.slide is None:
            return [ts - ts % self.size]  # Python's % is a floor mod
        first = ts - ts % self.slide
        return list(range(first, ts - self.size, -self.slide))


def window_outcome(spec, lateness, ts, w):
    """Per window of a record with timestamp ts at watermark w: 'pending',
    'refires' (a fired window within the lateness) or 'dropped'."""
    out = []
    for start in spec.starts(ts):
        top = start + spec.size - 1  # the window's max timestamp
        if top + lateness <= w:
            out.append("dropped")
        elif top <= w:
            out.append("refires")
        else:
            out.append("pending")
    return out


def generate_window_input(rng, spec, bound, lateness, lines, keys=20, beyond=0.03,
                          beyond_range=None, malformed=0.01, start=1_700_000_000_000, step=1):
    """A "timestamp_ms,key,value" file for window_count: mostly ascending
    timestamps (a mean advance of `step` ms per record), a third of the
    records behind the maximum within the bound, a fraction `beyond` behind it
    by more (late for some or all windows, exercising late/ and re-firings),
    malformed lines of every kind, leading zeros (late lines are written
    unchanged), CRLF endings. Only records whose outcome cannot depend on the
    engine's watermark lag are kept (see the module's docstring)."""
    if beyond_range is None:
        beyond_range = 2 * spec.size + lateness
    key_names = [b"k%d" % k for k in range(keys)] + [b"k with spaces", b"a:b=c;d", b"-7"]
    bad = [b"", b"no comma here", b"1700000000000,kx", b"1700000000000,,5", b"x,kx,5",
           b"1700000000000,kx,", b"1700000000000,kx,abc", b"1700000000000,kx,1.5",
           b"1700000000000,kx, 5", b"+1700000000000,kx,5", b"1700000000000,kx,5,6",
           b"9223372036854775808,kx,1", b"1700000000000,kx,-92233720368547758090",
           b" 1700000000000,kx,1", b"-,kx,1"]
    out = []
    top = None          # the largest timestamp so far
    prefix_max = []     # prefix_max[i]: the largest timestamp of records [0, i]
    line_of = []        # line number of each record
    lag_n = 0           # records certainly covered by the watermark the next record meets

    def watermark_after(n):
        return INT64_MIN if n == 0 else prefix_max[n - 1] - bound - 1

    for number in range(lines):
        if rng.random() < malformed:
            out.append(bad[rng.randrange(len(bad))])
        else:
            i = len(prefix_max)
            while lag_n + LAG <= i and line_of[lag_n] + LAG <= number:
                lag_n += 1
            latest, lagging = watermark_after(i), watermark_after(lag_n)
            key = key_names[rng.randrange(len(key_names))]
            kind = rng.randrange(100)
            value = INT64_MAX if kind == 0 else INT64_MIN if kind == 1 else rng.randint(-1000, 1000)
            if top is None:
                ts = start
            elif rng.random() < beyond:
                ts = None
                for _ in range(20):
                    t = top - bound - 1 - rng.randint(0, beyond_range)
                    if window_outcome(spec, lateness, t, latest) == \
                            window_outcome(spec, lateness, t, lagging):
                        ts = t
                        break
                if ts is None:
                    ts = top + 1
            elif rng.random() < 0.33:
                ts = top - rng.randint(0, bound)
            else:
                ts = top + rng.randint(0, 2 * step)
            text_ts = b"%d" % ts
            if rng.randrange(50) == 0:
                text_ts = b"00" + text_ts
            text_value = b"%d" % value
            if kind == 2:
                text_value = b"-000" + text_value[1:] if value < 0 else b"000" + text_value
            out.append(text_ts + b"," + key + b"," + text_value)
            top = ts if top is None else max(top, ts)
            prefix_max.append(top)
            line_of.append(number)
        if number + 1 < lines:
            out.append(b"\r\n" if rng.randrange(8) == 0 else b"\n")
    out.append(b"\n")
    return b"".join(out)


def expected_window_count(path, text, spec, bound, lateness):
    """(results, late, dead letters, figures): the lines window_count writes
    for one input file read by one source subtask with --window spec
    --out-of-orderness bound --lateness lateness, each a sorted list of bytes,
    and a dict of figures (records, malformed, beyond the bound, re-firings,
    late).

    Raises ValueError when some record's outcome would depend on the
    watermark lag (an input generate_window_input does not write)."""
    records = []  # (line number, ts, key, value, line)
    dead = []
    for number, (offset, line) in enumerate(lines_of(text)):
        why = window_count_rejection(line)
        if why:
            dead.append(dead_letter_line(0, path, offset, why, line))
        else:
            t, key, v = line.split(b",")
            records.append((number, parse_int64(t), key, parse_int64(v), line))

    windows = {}  # (key, start) -> [count, sum]
    fire_at = {}  # max timestamp -> [(key, start)]: windows that have not fired
    results, late = [], []
    w = INT64_MIN  # the watermark
    beyond = refired = 0
    prefix_max = []
    lag_n = 0

    def emit(key, start):
        count, total = windows[(key, start)]
        results.append(b"%s,%d,%d,%d,%d" % (key, start, start + spec.size, count, wrap64(total)))

    def advance(to):
        nonlocal w
        if to <= w:
            return
        w = to
        for top in sorted(t for t in fire_at if t <= w):
            for key, start in fire_at.pop(top):
                emit(key, start)
        # A window past its lateness is never added to again ("dropped"
        # below): it need not be purged.

    for i, (number, ts, key, value, line) in enumerate(records):
        while lag_n + LAG <= i and records[lag_n][0] + LAG <= number:
            lag_n += 1
        latest = INT64_MIN if i == 0 else prefix_max[i - 1] - bound - 1
        lagging = INT64_MIN if lag_n == 0 else prefix_max[lag_n - 1] - bound - 1
        outcome = window_outcome(spec, lateness, ts, latest)
        if outcome != window_outcome(spec, lateness, ts, lagging):
            raise ValueError("line %d %r: at the watermark %d it %s, at %d it %s" % (
                number + 1, line, latest, outcome, lagging,
                window_outcome(spec, lateness, ts, lagging)))
        if prefix_max and ts < prefix_max[-1] - bound:
            beyond += 1
        advance(latest)
        for start, what in zip(spec.starts(ts), outcome):
            if what == "dropped":
                continue
            acc = windows.get((key, start))
            if acc is None:
                acc = windows[(key, start)] = [0, 0]
                if what == "pending":
                    fire_at.setdefault(start + spec.size - 1, []).append((key, start))
            acc[0] += 1
            acc[1] += value
            if what == "refires":  # a fired window fires again at once, updated
                refired += 1
                emit(key, start)
        if all(what == "dropped" for what in outcome):
            late.append(line)
        prefix_max.append(ts if not prefix_max else max(prefix_max[-1], ts))
    advance(INT64_MAX)  # the end of the input: every pending window fires
    figures = {"records": len(records), "malformed": len(dead), "beyond": beyond,
               "refired": refired, "late": len(late)}
    return sorted(results), sorted(late), sorted(dead), figures


def multiset_difference(expected, got, limit=8):
    """"" when the two lists of lines are equal as multisets, else a report."""
    if sorted(expected) == sorted(got):
        return ""
    from collections import Counter
    e, g = Counter(expected), Counter(got)
    missing = sorted((e - g).elements())
    unexpected = sorted((g - e).elements())
    report = ["expected %d lines, got %d; %d missing, %d unexpected" % (
        len(expected), len(got), len(missing), len(unexpected))]
    for title, lines in (("missing (expected, not written or written too few times)", missing),
                         ("unexpected (written, not expected or written too many times)",
                          unexpected)):
        if lines:
            report.append(title + ":")
            report += ["  %r" % l for l in lines[:limit]]
            if len(lines) > limit:
                report.append("  ... %d more" % (len(lines) - limit))
    return "\n".join(report)


def new_rng(seed, *salt):
    """A random.Random for one purpose of one trial, reproducible from the seed."""
    return random.Random("/".join(str(s) for s in (seed,) + salt))
