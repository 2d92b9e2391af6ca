#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-table.py LOGDIR README
#
# make bench: turn the guest's output (LOGDIR/tap-bench.log) into the
# results table, print it, and put it into README between the
# "<!-- bench:begin" and "<!-- bench:end -->" markers.  Ratios are taken
# within a round (each mode against the baseline of the same round), so
# drifts of the host between rounds cancel; the table gives their median
# and min-max over the rounds.  The pipeline rows come from
# $PTW_CACHE/timings.log, which every make check appends to.
import os
import platform
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
GOALS = {"on": 1.0, "module": 3.0}


def kv(s):
    return dict(re.findall(r"([\w-]+)=(\S+)", s))


def die(msg):
    sys.exit("ERROR: bench-table: " + msg)


def main():
    logdir, readme = sys.argv[1], sys.argv[2]
    tap = os.path.join(logdir, "tap-bench.log")
    try:
        lines = open(tap).read().splitlines()
    except OSError as e:
        die(f"{tap}: {e} (did the bench boot run?)")

    rates = {}          # (round, mode) -> per_sec
    waking = {}
    summary = {}
    guest = ""
    n = None
    for ln in lines:
        if ln.startswith("bench round="):
            d = kv(ln)
            rates[(int(d["round"]), d["mode"])] = float(d["per_sec"])
            n = d["n"]
        elif ln.startswith("waking mode="):
            d = kv(ln)
            waking[d["mode"]] = d
        elif ln.startswith("wait_summary "):
            _, k, v = ln.split()[:3]
            summary[k] = v
        elif ln.startswith("# guest: ") and not guest:
            guest = ln[len("# guest: "):]
        elif ln.startswith("bench_exit=") and ln != "bench_exit=0":
            die(f"the guest's bench failed ({ln}); see {tap}")
    rounds = sorted({r for r, _ in rates})
    if not rounds or any((r, m) not in rates for r in rounds for m, _ in MODES):
        die(f"incomplete results in {tap}")
    if set(waking) != {"off", "module"}:
        die(f"no waking results in {tap}")

    vm = kv(open(os.path.join(logdir, "vm-bench.txt")).read())
    accel = {"kvm": "KVM", "tcg": "TCG"}.get(vm.get("accel"), vm.get("accel"))
    if vm.get("qemu"):
        accel = f"{vm['qemu']} {accel}"
    if vm.get("tcg_threads") in ("single", "multi"):
        accel += " (one host thread per vCPU)" if vm["tcg_threads"] == "multi" else " (all vCPUs on one host thread)"
    cpu = "unknown CPU"
    for ln in open("/proc/cpuinfo"):
        if ln.startswith("model name"):
            cpu = ln.split(":", 1)[1].strip()
            break
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    series = [ln.split("#")[0].strip() for ln in open("patches/series")]
    series = [p for p in series if p]
    kernel = guest.split(",")[0] if guest else "?"

    out = []
    out.append(f"Measured by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(tap)))}: "
               f"host {os.cpu_count()} cores ({cpu}), guest {vm.get('vcpus')} vCPUs under QEMU {accel}, "
               f"kernel {kernel} built by the harness with all {len(series)} patches of the series "
               f"(project commit {commit}).  {len(rounds)} rounds, each running every mode once "
               f"({n} `PTRACE_SYSCALL` round trips: resume, the tracee calls getppid(), waitpid()), "
               "the order rotating from round to round.  Ratio = the mode's rate / the baseline's "
               "rate in the same round.")
    out.append("")
    out.append("| mode | round trips/s, median | ratio to baseline, median | min - max | cost |")
    out.append("| --- | ---: | ---: | ---: | ---: |")
    verdicts = []
    for m, desc in MODES:
        med = statistics.median(rates[(r, m)] for r in rounds)
        if m == "off":
            lo = min(rates[(r, m)] for r in rounds) / med
            hi = max(rates[(r, m)] for r in rounds) / med
            out.append(f"| {desc} | {med:.0f} | 1 | {lo:.3f} - {hi:.3f} of its median | - |")
            noise = (hi - lo) * 100
            continue
        ratios = [rates[(r, m)] / rates[(r, "off")] for r in rounds]
        rm = statistics.median(ratios)
        cost = (1 - rm) * 100
        out.append(f"| {desc} | {med:.0f} | {rm:.3f} | {min(ratios):.3f} - {max(ratios):.3f} | "
                   f"{cost:+.1f} % |")
        if m in GOALS:
            spread = (max(ratios) - min(ratios)) * 100
            resolved = "" if spread <= GOALS[m] else (
                f", but the ratio's spread over the rounds is {spread:.0f} %, so this run "
                "cannot resolve a cost that small: the median is consistent with zero")
            verdicts.append(f"{m}: median cost {cost:+.1f} % against a goal of at most "
                            f"{GOALS[m]:.0f} % ({'met' if cost <= GOALS[m] else 'missed'}{resolved})")
    out.append("")
    out.append(f"Baseline noise: the baseline's rate spread {noise:.1f} % (min to max over its median) "
               "across rounds.  " + "; ".join(verdicts) + ".")
    out.append("")

    wo, wm = waking["off"], waking["module"]
    us = lambda v: f"{int(v) / 1000:.0f} µs"
    out.append(f"The waking wait (`bench_ptrace waking`, {wo['n']} iterations per mode): time from "
               "SIGCONT kicking a `PTRACE_LISTEN` tracee to the tracer's first successful request.")
    out.append("")
    out.append("| | p50 | p90 | p99 | max | spurious ESRCH |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    out.append(f"| waking path off: ESRCH, then waitpid() and the request again | {us(wo['p50_ns'])} | "
               f"{us(wo['p90_ns'])} | {us(wo['p99_ns'])} | {us(wo['max_ns'])} | {wo['eager_esrch']} |")
    out.append(f"| waking path on: the request waits in the kernel | {us(wm['p50_ns'])} | "
               f"{us(wm['p90_ns'])} | {us(wm['p99_ns'])} | {us(wm['max_ns'])} | {wm['eager_esrch']} |")
    if summary:
        out.append(f"| the wait alone, module's `wait_summary` ({summary.get('count', '?')} waits; "
                   "histogram bucket upper bounds, at most 2x the true value) | "
                   f"{us(summary.get('p50_ns', 0))} | {us(summary.get('p90_ns', 0))} | "
                   f"{us(summary.get('p99_ns', 0))} | {us(summary.get('max_ns', 0))} | - |")
    out.append("")

    tl = os.path.join(os.environ.get("PTW_CACHE", os.path.expanduser("~/.cache/ptrace-waking")),
                      "timings.log")
    runs = []
    if os.path.exists(tl):
        runs = [kv(ln) for ln in open(tl) if ln.startswith("date=")]
    runs = [r for r in runs if r.get("result") == "pass"]
    cold = [r for r in runs if any(v.endswith(":cold") for k, v in r.items() if k.startswith("build_"))]
    warm = [r for r in runs if all(not k.startswith("build_") or v.endswith(":up-to-date")
                                   for k, v in r.items())]
    out.append("Pipeline: the latest passing `make check` runs recorded in "
               "`$PTW_CACHE/timings.log` (each run appends a line).")
    out.append("")
    out.append("| run | date | wall | kernel builds | guest time per boot | boot to first test |")
    out.append("| --- | --- | ---: | --- | --- | ---: |")
    for name, sel in (("cold (empty cache)", cold), ("warm (nothing changed)", warm)):
        if not sel:
            out.append(f"| {name} | not recorded on this machine yet | | | | |")
            continue
        r = sel[-1]
        builds = ", ".join(f"{k[6:]} {int(v.split(':')[0]) // 60}:{int(v.split(':')[0]) % 60:02d} "
                           f"({v.split(':')[1]})" for k, v in r.items() if k.startswith("build_"))
        boots = ", ".join(f"{k[5:]} {v} s" for k, v in r.items() if k.startswith("boot_"))
        first = r.get("first_test_waking-on", "?")
        total = int(r["total"])
        stages = {k[6:] + " kernel build": int(v.split(":")[0])
                  for k, v in r.items() if k.startswith("build_")}
        stages.update({k[5:] + " boot": int(v) for k, v in r.items() if k.startswith("boot_")})
        dom = max(stages, key=stages.get) if stages else "?"
        out.append(f"| {name} | {r['date']} | {total // 60}:{total % 60:02d} "
                   f"(dominated by the {dom}) | {builds or '-'} | {boots} | {first} s |")
    out.append("")

    text = "\n".join(out)
    print(text)
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
    print(f"\n==> {readme}: benchmark section updated", file=sys.stderr)


if __name__ == "__main__":
    main()
