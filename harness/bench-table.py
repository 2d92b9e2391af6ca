#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-table.py: make bench's results, from the guest's raw lines to the
# README section.
#
#   bench-table.py run --logdir DIR --results-dir DIR --readme README.md
#                      --kernel BZIMAGE --module KO [--warmup W] [--note TEXT]
#       record, then render (what make bench does)
#   bench-table.py record --logdir DIR --results-dir DIR --kernel BZIMAGE
#                      --module KO [--warmup W] [--note TEXT]
#       write RESULTS-DIR/bench-<UTC date and time>.txt: a header naming
#       what produced the run (project commit, series, kernel, module,
#       QEMU and its icount flags, host, warm-up rule, the latest cold and
#       warm make check records of $PTW_CACHE/timings.log), then the raw
#       guest lines of each boot (LOGDIR/tap-bench-icount.log and
#       tap-bench-wall.log); prints the file's path
#   bench-table.py render RESULTS [README]
#       print the tables computed from RESULTS alone and, with README,
#       put them between its "<!-- bench:begin" and "<!-- bench:end -->"
#       markers.  The newest other bench-*.txt older than RESULTS in the
#       same directory, if any, is the previous run: the two are compared
#       ratio by ratio.
#
# Method.  Every round runs each mode once (harness/guest-bench.sh); a
# mode's cost is taken within a round, as its round-trip rate over its
# reference's in the same round, so slow drifts of the guest or the host
# cancel.  The first W rounds (--warmup, default 1) are discarded, always,
# whatever they show: round 1 is the first time anything loads the module
# and switches the events on, and its rates differ from the later rounds'
# by a few tenths of a percent.  A comparison reports the median of its
# per-round ratios and their spread (max - min over the rounds kept).  A
# goal is "met" if the median cost is within it, and "resolved" only if
# every kept round falls on the same side of it.  Two runs agree on a
# ratio if each one's median lies within the other's per-round range.
import argparse
import glob
import hashlib
import os
import re
import statistics
import subprocess
import sys
import time

MODES = [
    ("off", "waking path off, module not loaded (baseline)"),
    ("on", "waking path on"),
    ("module", "waking path on, module loaded"),
    ("ftrace", "waking path on, module loaded, `ptrace:*` events on in ftrace"),
]
# (mode, reference, what, goal in % or None): each cost is the mode against
# its reference in the same round.
COMPARISONS = [
    ("on", "off", "waking path on against off", 0.1),
    ("module", "on", "module loaded against not loaded (both with the path on)", 0.3),
    ("ftrace", "module", "`ptrace:*` events on in ftrace against events off (module loaded)", None),
]
# What instruction time cannot see: printed under the tables.
BLIND_SPOTS = (
    "**What instruction counting cannot see.**  Under icount every instruction takes the same 1 ns.  "
    "A locked read-modify-write (the module's counters, the reference counts and RCU bookkeeping "
    "around a probe call, siglock) costs what a register move costs, where real hardware pays tens "
    "of cycles for it uncontended.  QEMU models no caches, so the cost that matters most for "
    "shared atomics, a cache line bouncing between CPUs that all update the same counter, is "
    "invisible.  The vCPUs run one after another on one host thread, so two CPUs never contend "
    "for a lock or a line at the same moment: lock contention shows only as a waiter's spin loop, "
    "whose length follows QEMU's round-robin slices rather than the holder's progress.  Timer "
    "interrupts arrive at instruction counts rather than wall-clock times and idle time is skipped "
    "(`sleep=off`), so timer and interrupt effects are those of an idealised machine.  The "
    "wall-clock boot has real host threads and real atomics (TCG emits host locked instructions "
    "for the guest's), but on a small shared host its noise hides anything below a few percent; "
    "the contention costs need many CPUs on real hardware.")
ACCEPT_SPREAD = 0.3     # % : the largest per-round spread make bench accepts
BOOTS = [
    ("icount", "instruction time"),
    ("wall", "wall clock"),
]


def die(msg):
    sys.exit("ERROR: bench-table: " + msg)


def kv(s):
    return dict(re.findall(r"([\w-]+)=(\S+)", s))


def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout
    except OSError:
        return ""


# ---- record ----------------------------------------------------------------

def kernel_version(bzimage):
    """The version string of a bzImage (its setup header points to it)."""
    try:
        with open(bzimage, "rb") as f:
            data = f.read(65536)
        off = int.from_bytes(data[0x20E:0x210], "little") + 0x200
        return data[off:data.index(b"\0", off)].decode(errors="replace")
    except (OSError, ValueError):
        return "unknown"


def icount_flags(vm):
    """The -icount flags of the boot: from vm-LABEL.txt if it names them,
    else from the run-vm.sh that ran it."""
    v = vm.get("icount", "off")
    if v in ("off", "") or "=" in v:
        return v or "off"
    try:
        src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run-vm.sh")).read()
        m = re.search(r"-icount ([\w=,]+)\}", src)
        return m.group(1) if m else v
    except OSError:
        return v


def timing_records():
    """The latest passing cold and warm make check records."""
    path = os.path.join(os.environ.get("PTW_CACHE", os.path.expanduser("~/.cache/ptrace-waking")),
                        "timings.log")
    try:
        lines = [ln.strip() for ln in open(path) if ln.startswith("date=")]
    except OSError:
        return []
    runs = [(ln, kv(ln)) for ln in lines]
    runs = [(ln, r) for ln, r in runs if r.get("result") == "pass"]
    # A build is SECS:KIND, or SECS:KIND:START since make check overlaps
    # its stages.  Cold: every kernel built from scratch; warm: none built.
    kinds = lambda r: [v.split(":")[1] if ":" in v else "" for k, v in r.items() if k.startswith("build_")]
    cold = [ln for ln, r in runs if kinds(r) and all(k == "cold" for k in kinds(r))]
    warm = [ln for ln, r in runs if kinds(r) and all(k == "up-to-date" for k in kinds(r))]
    return ([f"cold {cold[-1]}"] if cold else []) + ([f"warm {warm[-1]}"] if warm else [])


def project_state():
    """The commit, and which of the directories that make up a guest have changes."""
    commit = git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = git("status", "--porcelain", "--", "Makefile", "harness", "patches", "rust", "selftests")
    dirty_dirs = sorted({ln[3:].split("/")[0] for ln in dirty.splitlines()})
    return f"commit {commit}" + (f" + local changes in {', '.join(dirty_dirs)}" if dirty_dirs else "")


def record(a):
    boots = []
    for label, _ in BOOTS:
        tap = os.path.join(a.logdir, f"tap-bench-{label}.log")
        vmf = os.path.join(a.logdir, f"vm-bench-{label}.txt")
        if not os.path.exists(tap):
            die(f"{tap} missing (did the bench-{label} boot run?)")
        lines = open(tap, errors="replace").read().splitlines()
        if "bench_exit=0" not in lines:
            die(f"the guest's bench did not finish in {tap} (no bench_exit=0)")
        vm = open(vmf).read().strip() if os.path.exists(vmf) else ""
        tm = os.path.join(a.logdir, f"time-bench-{label}.txt")
        host_s = open(tm).read().split()[0] if os.path.exists(tm) else "?"
        boots.append((label, tap, vm, host_s, lines))

    stamp = time.gmtime(os.path.getmtime(boots[0][1]))
    series = [ln.split("#")[0].strip() for ln in open("patches/series")]
    series = [p for p in series if p]
    try:
        ko = hashlib.sha256(open(a.module, "rb").read()).hexdigest()[:16]
    except OSError:
        ko = "?"
    cpu = "unknown CPU"
    for ln in open("/proc/cpuinfo"):
        if ln.startswith("model name"):
            cpu = ln.split(":", 1)[1].strip()
            break
    qv = (subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True)
          .stdout.splitlines() or ["?"])[0]
    out = [
        "# make bench: the raw guest output of its boots.  README.md's benchmark section is",
        "# generated from this file alone: python3 harness/bench-table.py render <this file> README.md",
        f"date: {time.strftime('%Y-%m-%dT%H:%MZ', stamp)}",
        f"project: {a.project or project_state()}",
        f"series: {len(series)} patches of patches/series: {' '.join(p[:4] for p in series)}",
        f"kernel: {a.kernel}: {kernel_version(a.kernel)}",
        f"module: {a.module} sha256 {ko}",
        f"qemu: {qv}",
        f"host: {os.cpu_count()} cores ({cpu})",
        f"host_load: {' '.join(open('/proc/loadavg').read().split()[:3])} (1, 5, 15 min, when recorded)",
        f"warmup: {a.warmup}",
    ]
    if a.note:
        out.append(f"note: {a.note}")
    out += [f"timing: {t}" for t in timing_records()]
    for label, tap, vm, host_s, lines in boots:
        vmkv = kv(vm)
        if label == "icount":
            flags = icount_flags(vmkv)
            if flags == "off":
                die(f"the bench-icount boot did not run under icount ({vm})")
            out.insert(out.index(f"warmup: {a.warmup}"), f"icount_flags: -icount {flags}")
        out.append(f"[boot {label}] {vm} host_s={host_s}")
        out += lines
    os.makedirs(a.results_dir, exist_ok=True)
    path = os.path.join(a.results_dir, f"bench-{time.strftime('%Y-%m-%d-%H%M', stamp)}.txt")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".tmp", path)
    print(f"==> {path}: raw results recorded", file=sys.stderr)
    return path


# ---- render ----------------------------------------------------------------

class Boot:
    def __init__(self, label, vm):
        self.label = label
        self.vm = kv(vm)
        self.rates = {}         # (round, mode) -> round trips per second
        self.ns = {}            # (round, mode) -> ns per round trip
        self.waking = {}
        self.summary = {}
        self.ticks = {}
        self.quiet_tail = {}    # mode -> [ns of each quiet sample in the tail]
        self.guest = ""
        self.n = None


def parse(path):
    head = {"timing": []}
    boots = {}
    cur = None
    pending = []
    for ln in open(path, errors="replace").read().splitlines():
        m = re.match(r"^\[boot (\w+)\] ?(.*)$", ln)
        if m:
            cur = boots[m.group(1)] = Boot(m.group(1), m.group(2))
            continue
        if cur is None:
            m = re.match(r"^(\w+): (.*)$", ln)
            if m and m.group(1) == "timing":
                head["timing"].append(m.group(2))
            elif m:
                head[m.group(1)] = m.group(2)
            continue
        if ln.startswith("bench round="):
            d = kv(ln)
            key = (int(d["round"]), d["mode"])
            cur.rates[key] = float(d["per_sec"])
            cur.ns[key] = int(d["ns"]) / int(d["n"])
            cur.n = d["n"]
            cur.cpus = d.get("cpus", "any")
        elif ln.startswith("# quiet tail sample "):
            pending.append(int(kv(ln)["ns"]))
        elif ln.startswith("waking mode="):
            d = kv(ln)
            cur.waking[d["mode"]] = d
            cur.quiet_tail[d["mode"]] = pending
            pending = []
        elif ln.startswith("wait_summary "):
            parts = ln.split()
            if len(parts) >= 3:
                cur.summary[parts[1]] = int(parts[2])
        elif ln.startswith("ticks when="):
            d = kv(ln)
            cur.ticks[d["when"]] = d
        elif ln.startswith("# guest: ") and not cur.guest:
            cur.guest = ln[len("# guest: "):]
    for label, b in boots.items():
        rounds = sorted({r for r, _ in b.rates})
        if not rounds or any((r, m) not in b.rates for r in rounds for m, _ in MODES):
            die(f"{path}: incomplete round-trip results of boot {label}")
    if "icount" not in boots:
        die(f"{path}: no icount boot")
    return head, boots


class Comparison:
    """mode against ref, round by round, over the rounds kept."""

    def __init__(self, boot, mode, ref, rounds):
        self.ratios = [boot.rates[(r, mode)] / boot.rates[(r, ref)] for r in rounds]
        self.median = statistics.median(self.ratios)
        self.lo, self.hi = min(self.ratios), max(self.ratios)
        self.spread = (self.hi - self.lo) * 100
        self.cost = (1 - self.median) * 100
        self.cost_lo, self.cost_hi = (1 - self.hi) * 100, (1 - self.lo) * 100
        self.extra_ns = statistics.median(boot.ns[(r, mode)] - boot.ns[(r, ref)] for r in rounds)


def pct(x):
    return f"{x:+.2f} %"


def us(ns):
    return f"{int(ns) / 1000:.1f} µs"


def goal_verdict(c, goal):
    met = c.cost <= goal
    if c.cost_hi <= goal:
        res = "yes: every round within the goal"
    elif c.cost_lo > goal:
        res = "yes: every round above the goal"
    else:
        res = f"no: the rounds fall on both sides of {goal} %"
    return ("met" if met else f"not met, by {c.cost - goal:.2f} %"), res


def boot_desc(b):
    vm = b.vm
    acc = {"kvm": "KVM", "tcg": "TCG"}.get(vm.get("accel"), vm.get("accel", "?"))
    thr = {"single": ", all vCPUs on one host thread", "multi": ", one host thread per vCPU"}
    acc += thr.get(vm.get("tcg_threads"), "")
    return f"QEMU {vm.get('qemu', '?')} {acc}, {vm.get('vcpus', '?')} vCPUs"


def roundtrip_tables(b, warmup, label, goals=True):
    rounds = sorted({r for r, _ in b.rates})
    kept = [r for r in rounds if r > warmup]
    if not kept:
        die(f"boot {b.label}: {len(rounds)} rounds, all of them warm-up (--warmup {warmup})")
    out = []
    out.append("| mode | round trips/s, median | ns per round trip, median | ratio to baseline, median "
               "| per-round min - max | cost |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m, desc in MODES:
        med = statistics.median(b.rates[(r, m)] for r in kept)
        ns = statistics.median(b.ns[(r, m)] for r in kept)
        if m == "off":
            lo = min(b.rates[(r, m)] for r in kept) / med
            hi = max(b.rates[(r, m)] for r in kept) / med
            out.append(f"| {desc} | {med:.0f} | {ns:.0f} | 1 | {lo:.4f} - {hi:.4f} of its median | - |")
            continue
        c = Comparison(b, m, "off", kept)
        out.append(f"| {desc} | {med:.0f} | {ns:.0f} | {c.median:.4f} | {c.lo:.4f} - {c.hi:.4f} | "
                   f"{pct(c.cost)} |")
    comps = {m: Comparison(b, m, ref, kept) for m, ref, _, _ in COMPARISONS}
    if not goals:
        return out, comps, len(rounds), len(kept)
    out.append("")
    out.append(f"| {label}: comparison | goal | cost, median | per-round cost range | spread "
               "| ns per round trip | goal met? | spread resolves it? |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for m, ref, what, goal in COMPARISONS:
        c = comps[m]
        if goal is None:
            g, met, res = "reported", "-", "-"
        else:
            g = f"≤ {goal} %"
            met, res = goal_verdict(c, goal)
        out.append(f"| {what} | {g} | {pct(c.cost)} | {c.cost_lo:+.2f} .. {c.cost_hi:+.2f} % | "
                   f"{c.spread:.2f} % | {c.extra_ns:+.0f} | {met} | {res} |")
    return out, comps, len(rounds), len(kept)


def waking_tables(b):
    w = b.waking
    out = []
    rows = [("off", "waking path off: ESRCH, then waitpid() and the request again"),
            ("on", "waking path on: the request waits in the kernel"),
            ("module", "waking path on, module loaded")]
    rows = [(m, d) for m, d in rows if m in w]
    if not rows:
        return out
    out.append("| | p50 | p90 | p99 | max | spurious ESRCH |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m, desc in rows:
        d = w[m]
        out.append(f"| {desc} | {us(d['p50_ns'])} | {us(d['p90_ns'])} | {us(d['p99_ns'])} | "
                   f"{us(d['max_ns'])} | {d['eager_esrch']} of {d['n']} |")
    s = b.summary
    if s:
        out.append(f"| the wait alone, module's `wait_summary` ({s.get('count', '?')} waits, mean "
                   f"{us(s.get('mean_ns', 0))}; percentiles are histogram bucket upper bounds, at most "
                   f"2x the true value; max exact) | {us(s.get('p50_ns', 0))} | {us(s.get('p90_ns', 0))} | "
                   f"{us(s.get('p99_ns', 0))} | {us(s.get('max_ns', 0))} | - |")
    return out


def tail_section(b):
    w = b.waking
    if not w or "quiet_n" not in next(iter(w.values())):
        return []
    out = []
    out.append("Where the tail comes from.  Each sample is bracketed by two reads of the guest's "
               "activity counters, just before `kill()` and just after the successful request "
               "(outside the timed window): local timer interrupts (`LOC` in /proc/interrupts), "
               "all interrupts, softirqs and context switches (/proc/stat).  A *tick* sample saw a "
               "timer interrupt in its bracket; an *other* sample saw no tick but a softirq, or a "
               "number of context switches or of other interrupts (normally the two IPIs of the "
               "wake-ups) that differs from the run's usual one: another task ran, a device "
               "interrupted (QEMU's i8042, the serial ports), a deferred timer or RCU softirq "
               "ran; a *quiet* sample saw none of these.  The bracket is wider than the timed "
               "window, so not every tick or other sample was slowed down, but a quiet one "
               "certainly was not by these.  The tracer touches its sample array before it "
               "starts, so none of its own page faults lands in a timed window.  The tail is "
               "every sample above 2 x p50.")
    out.append("")
    out.append("| mode | class | samples | p50 | p99 | max | in the tail |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for m in ("off", "on", "module"):
        if m not in w:
            continue
        d = w[m]
        for c in ("quiet", "tick", "other"):
            out.append(f"| {m} | {c} | {d[c + '_n']} | {us(d[c + '_p50_ns'])} | {us(d[c + '_p99_ns'])} | "
                       f"{us(d[c + '_max_ns'])} | {d[c + '_tail_n']} of {d['tail_n']} (> {us(d['tail_ns'])}) |")
    out.append("")
    # The tick rate, measured: timer interrupts over the guest's uptime.
    t0, t1 = b.ticks.get("start"), b.ticks.get("end")
    hz = None
    if t0 and t1 and t0.get("loc") and t1.get("loc"):
        dt = float(t1["uptime_s"]) - float(t0["uptime_s"])
        ncpu = int(t1.get("cpus", 1))
        if dt > 0:
            hz = (int(t1["loc"]) - int(t0["loc"])) / dt / ncpu
    sentences = []
    if hz:
        sentences.append(f"The guest took {hz:.0f} local timer interrupts per second per CPU during "
                         "the bench: the periodic tick (HZ=250: every 4 ms, that is every 4,000,000 "
                         "instructions of instruction time, on each CPU) and a few hrtimers.")
    on = w.get("on")
    if on:
        quiet_tail = sum(int(w[m]["quiet_tail_n"]) for m in w)
        tail = sum(int(w[m]["tail_n"]) for m in w)
        share = int(on["tick_n"]) / int(on["n"]) * 100
        p99 = ("so the p99 ({}) comes from the tick samples".format(us(on["p99_ns"]))
               if int(on["quiet_p99_ns"]) < int(on["p99_ns"]) else
               "but the p99 ({}) is the quiet samples' own".format(us(on["p99_ns"])))
        sentences.append(
            f"With the path on, {share:.1f} % of the brackets saw a tick; a tick sample's median is "
            f"{(int(on['tick_p50_ns']) - int(on['quiet_p50_ns'])) / 1000:.1f} µs above a quiet one's, "
            f"{p99}, and the quiet samples stay within {us(on['quiet_max_ns'])}.")
        if quiet_tail == 0:
            sentences.append(f"Every one of the {tail} tail samples of the three modes had a tick or "
                             "other guest activity in its bracket: nothing in the tail is left for the "
                             "waking wait itself.")
        else:
            qs = ", ".join(f"{m} {' and '.join(us(v) for v in b.quiet_tail.get(m, []))}"
                           for m in w if b.quiet_tail.get(m))
            sentences.append(f"{quiet_tail} of the {tail} tail samples of the three modes "
                             f"{'was' if quiet_tail == 1 else 'were'} quiet ({qs or '?'}): no tick, "
                             "softirq, extra context switch or extra interrupt in the guest explains "
                             f"{'it' if quiet_tail == 1 else 'them'}.")
    if sentences:
        out.append(" ".join(sentences))
        out.append("")
    return out


def pipeline(head):
    recs = []
    for t in head.get("timing", []):
        kind, _, line = t.partition(" ")
        recs.append((kind, kv(line)))
    out = ["Pipeline: `make check`, cold (empty cache: every kernel built from scratch) and warm "
           "(nothing changed), from the latest passing records of `$PTW_CACHE/timings.log` "
           "copied into the results file.", ""]
    if not recs:
        out.append("No records yet: no passing cold or warm `make check` was recorded on the machine "
                   "that ran this bench.")
        out.append("")
        return out
    cols = [(k, r) for k, r in recs]
    stages = []
    for _, r in cols:
        for k in r:
            if (k.startswith("build_") or k.startswith("boot_")) and k not in stages:
                stages.append(k)
    stages.sort(key=lambda k: (not k.startswith("build_"), k))

    def secs(r, k):
        if k not in r:
            return None
        return int(r[k].split(":")[0])

    def span(r, k):
        """(start, end) in seconds into the run, if the record has it."""
        if k not in r:
            return None
        f = r[k].split(":")
        start = f[2] if k.startswith("build_") and len(f) > 2 else f[1] if k.startswith("boot_") and len(f) > 1 else None
        if start is None:
            return None
        return int(start), int(start) + int(f[0])

    def mmss(s):
        return "-" if s is None else f"{s // 60}:{s % 60:02d}"

    out.append("| stage | " + " | ".join(f"{k} ({r['date']})" for k, r in cols) + " |")
    out.append("| --- |" + " ---: |" * len(cols))
    for k in stages:
        name = (f"kernel build: {k[6:]}" if k.startswith("build_") else f"boot: {k[5:]} (host time)")
        cells = []
        for _, r in cols:
            s = secs(r, k)
            cell = mmss(s)
            if k.startswith("build_") and k in r:
                cell += f" ({r[k].split(':')[1]})"
            sp = span(r, k)
            if sp:
                cell += f", {mmss(sp[0])} to {mmss(sp[1])} into the run"
            if k.startswith("boot_") and f"first_test_{k[5:]}" in r:
                cell += f", first test {r['first_test_' + k[5:]]} s after boot"
            if f"cpu_{k}" in r:
                cell += f", {r['cpu_' + k]} s CPU"
            cells.append(cell)
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    # A record with start times comes from a make check whose stages
    # overlap: their sum is not the run's time.
    overlap = [any(span(r, k) for k in stages) for _, r in cols]
    rest = [None if o else int(r["total"]) - sum(secs(r, k) or 0 for k in stages) for o, (_, r) in zip(overlap, cols)]
    out.append("| everything else (bootstrap, source, lint, harness self-test, modules, kselftests, initramfs) | "
               + " | ".join("overlapped" if o else mmss(s) for o, s in zip(overlap, rest)) + " |")
    out.append("| **total** | " + " | ".join(f"**{mmss(int(r['total']))}**"
                                            + (f", {r['cpu_total']} s CPU" if "cpu_total" in r else "")
                                            for _, r in cols) + " |")
    out.append("")
    for (k, r), o in zip(cols, overlap):
        if k != "cold":
            continue
        total = int(r["total"])
        budget = "within" if total <= 45 * 60 else "over"
        if o:
            spans = {s: span(r, s) for s in stages if span(r, s)}
            b = [v for s, v in spans.items() if s.startswith("build_")]
            g = [v for s, v in spans.items() if s.startswith("boot_")]
            last = max(spans, key=lambda s: spans[s][1])
            ran = [f"the {what} from {mmss(min(v[0] for v in vs))} to {mmss(max(v[1] for v in vs))}"
                   for what, vs in (("kernel builds ran", b), ("boots", g)) if vs]
            cpu = ""
            if "cpu_total" in r and "cores" in r:
                c, n = int(r["cpu_total"]), max(int(r["cores"]), 1)
                cpu = (f"  It used {c} s of CPU, {c * 100 // max(n * total, 1)} % of its {n} cores "
                       f"over the run; the same CPU time at full use of {n} cores would take "
                       f"{mmss((c + n - 1) // n)} (the guests' share is not fixed work: under TCG it "
                       f"grows with the wall time they get).")
            out.append(f"The cold run took {mmss(total)}, {budget} the 45-minute budget.  Its stages overlap "
                       f"(a build's time is wall time, beside whatever else ran): {', '.join(ran)}; "
                       f"the last stage was {last.replace('build_', 'kernel build ').replace('boot_', 'boot ')}."
                       + cpu)
        else:
            parts = {s: secs(r, s) or 0 for s in stages}
            parts["everything else"] = total - sum(parts.values())
            top = sorted(parts.items(), key=lambda kvp: -kvp[1])[:3]
            where = ", ".join(f"{s.replace('build_', 'kernel build ').replace('boot_', 'boot ')} "
                              f"{v * 100 // max(total, 1)} %" for s, v in top)
            out.append(f"The cold run took {mmss(total)}, {budget} the 45-minute budget; the time goes "
                       f"to {where}.")
        out.append("")
    return out


def previous_of(path):
    d = os.path.dirname(os.path.abspath(path))
    me = os.path.basename(path)
    older = sorted(f for f in glob.glob(os.path.join(d, "bench-*.txt")) if os.path.basename(f) < me)
    return older[-1] if older else None


def agreement(comps, prev_path, warmup):
    try:
        phead, pboots = parse(prev_path)
    except SystemExit as e:
        return [f"Previous run {os.path.basename(prev_path)} unreadable ({e}).", ""]
    pb = pboots["icount"]
    pw = int(phead.get("warmup", warmup))
    prounds = [r for r in sorted({r for r, _ in pb.rates}) if r > pw]
    if not prounds:
        return []
    out = [f"Against the previous run, `{os.path.relpath(prev_path)}` ({phead.get('date', '?')}, "
           f"{phead.get('project', '?')}; {len(prounds)} rounds kept, {pb.n} round trips each): two runs "
           "agree on a ratio if each median lies within the other run's per-round range.", ""]
    out.append("| comparison | this run: median (range) | previous run: median (range) | difference | agree? |")
    out.append("| --- | ---: | ---: | ---: | --- |")
    allok = True
    for m, ref, what, _ in COMPARISONS:
        c = comps[m]
        p = Comparison(pb, m, ref, prounds)
        ok = c.lo <= p.median <= c.hi and p.lo <= c.median <= p.hi
        allok &= ok
        out.append(f"| {what} | {c.median:.4f} ({c.lo:.4f} - {c.hi:.4f}) | {p.median:.4f} "
                   f"({p.lo:.4f} - {p.hi:.4f}) | {(c.median - p.median) * 100:+.2f} % | "
                   f"{'yes' if ok else 'no'} |")
    out.append("")
    out.append(f"The two runs {'agree on every ratio' if allok else 'do NOT agree on every ratio'}.")
    out.append("")
    return out


def render(path, readme=None):
    head, boots = parse(path)
    warmup = int(head.get("warmup", 1))
    ib = boots["icount"]
    out = []
    kernel = head.get("kernel", "?").split(": ", 1)[-1]
    out.append(f"Generated from `{os.path.relpath(path)}` (raw guest output of `make bench`, "
               f"{head.get('date', '?')}): {head.get('project', '?')}, {head.get('series', '?')}; "
               f"kernel {kernel}; host {head.get('host', '?')}; {head.get('qemu', '?')}.")
    if head.get("note"):
        out.append(f"Note: {head['note']}")
    out.append("")
    nrounds = len({r for r, _ in ib.rates})
    out.append(f"**Instruction time (the figures).**  One boot under {boot_desc(ib)} with "
               f"`{head.get('icount_flags', '-icount ?')}`: the guest's clock counts executed "
               "instructions, 1 ns each, so its timings do not depend on the host's load.  "
               f"{nrounds} rounds, each running every mode once ({ib.n} `PTRACE_SYSCALL` round trips: "
               "resume, the tracee calls getppid() and stops, waitpid(); tracer pinned to CPU 0, "
               f"tracee to CPU 1), the order rotating from round to round; the first {warmup} "
               f"round{'s' if warmup != 1 else ''} discarded by rule (the first module load and "
               "events switch-on of the boot), "
               f"{nrounds - warmup} kept.  Ratio = the mode's rate / its reference's rate in the same "
               "round; cost = 1 - ratio; ns per round trip = instructions per round trip.")
    out.append("")
    t, comps, _, kept = roundtrip_tables(ib, warmup, "instruction time")
    out += t
    out.append("")
    worst = max(comps.values(), key=lambda c: c.spread)
    ok = worst.spread <= ACCEPT_SPREAD
    sent = [f"Largest per-round spread of a ratio: {worst.spread:.2f} % "
            f"({'within' if ok else 'ABOVE'} the {ACCEPT_SPREAD} % this benchmark needs)."]
    for m, ref, what, goal in COMPARISONS:
        if goal is None:
            continue
        c = comps[m]
        met, res = goal_verdict(c, goal)
        s = (f"{what}: {pct(c.cost)} ({c.extra_ns:+.0f} instructions per round trip), goal ≤ {goal} %: "
             f"{met}; ")
        s += ("resolved, every round is on the same side of the goal" if res.startswith("yes")
              else f"not resolved, the rounds range over {c.cost_lo:+.2f} .. {c.cost_hi:+.2f} %")
        sent.append(s + ".")
    c = comps["ftrace"]
    sent.append(f"Switching the `ptrace:*` events on costs {pct(c.cost)} "
                f"({c.extra_ns:+.0f} instructions per round trip) on top of the loaded module.")
    out.append(" ".join(sent))
    out.append("")
    prev = previous_of(path)
    if prev:
        out += agreement(comps, prev, warmup)

    wb = boots.get("wall")
    if wb:
        wr = len({r for r, _ in wb.rates})
        out.append(f"**Wall clock (beside it, not the figures).**  A second boot under {boot_desc(wb)}, "
                   f"no icount: the guest's clock is the host's, shared with whatever else the host "
                   f"runs.  {wr} rounds of {wb.n} round trips, same modes, rotation and warm-up rule.")
        out.append("")
        t, wcomps, _, _ = roundtrip_tables(wb, warmup, "wall clock", goals=False)
        out += t
        out.append("")
        wworst = max(wcomps.values(), key=lambda c: c.spread)
        load = f" (host load average at the end of the run: {head['host_load']})" if head.get("host_load") else ""
        out.append(f"Its ratios spread by up to {wworst.spread:.0f} % from round to round{load}, so it "
                   "resolves none of the goals and judges none.")
        out.append("")
        ww = waking_tables(wb)
        if ww:
            out.append("The waking wait on the wall clock:")
            out.append("")
            out += ww
            out.append("")
            w = wb.waking
            if w and all("quiet_tail_n" in d for d in w.values()):
                qt = sum(int(d["quiet_tail_n"]) for d in w.values())
                tt = sum(int(d["tail_n"]) for d in w.values())
                out.append(f"On the wall clock {qt} of its {tt} tail samples (above 2 x p50) were quiet in "
                           "the guest (no tick, softirq, extra context switch or interrupt, see below): "
                           "most likely time the host gave to other work instead of the vCPU threads, which no "
                           "guest counter sees.")
                out.append("")

    out.append(BLIND_SPOTS)
    out.append("")
    out.append(f"**The waking wait, in instruction time** (`bench_ptrace waking`, icount boot, "
               f"{ib.waking.get('off', {}).get('n', '?')} iterations per mode, tracer on CPU 0, "
               "tracee on CPU 1): time from SIGCONT kicking a `PTRACE_LISTEN` tracee to the tracer's "
               "first successful request.")
    out.append("")
    out += waking_tables(ib)
    out.append("")
    out += tail_section(ib)
    out += pipeline(head)

    text = "\n".join(out)
    print(text)
    if not readme:
        return
    try:
        doc = open(readme).read()
    except OSError as e:
        die(f"{readme}: {e}")
    begin = re.search(r"<!-- bench:begin[^>]*-->\n", doc)
    end = doc.find("<!-- bench:end -->")
    if not begin or end < begin.end():
        die(f"{readme} has no <!-- bench:begin --> ... <!-- bench:end --> markers")
    doc = doc[:begin.end()] + text + "\n" + doc[end:]
    with open(readme + ".tmp", "w") as f:
        f.write(doc)
    os.replace(readme + ".tmp", readme)
    print(f"\n==> {readme}: benchmark section regenerated from {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="make bench: record and render the results")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("run", "record"):
        p = sub.add_parser(name)
        p.add_argument("--logdir", required=True)
        p.add_argument("--results-dir", required=True)
        p.add_argument("--kernel", required=True)
        p.add_argument("--module", required=True)
        p.add_argument("--warmup", type=int, default=1)
        p.add_argument("--note", default="")
        # What the guests were built from: make bench takes it (the
        # project subcommand) before its boots; else it is taken now.
        p.add_argument("--project", default="")
        if name == "run":
            p.add_argument("--readme", required=True)
    sub.add_parser("records", help="print the timings.log records make bench would use")
    sub.add_parser("project", help="print the project's state (commit, changed directories)")
    p = sub.add_parser("render")
    p.add_argument("results")
    p.add_argument("readme", nargs="?")
    a = ap.parse_args()
    if a.cmd == "records":
        print("\n".join(timing_records()))
        return
    if a.cmd == "project":
        print(project_state())
        return
    if a.cmd == "render":
        render(a.results, a.readme)
        return
    path = record(a)
    if a.cmd == "run":
        render(path, a.readme)


if __name__ == "__main__":
    main()
