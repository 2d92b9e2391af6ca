#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# verdict.py: the host's verdict on one guest boot, and the comparison of
# a patched boot with a pristine one.  Standard library only.
#
#   verdict.py boot --label L --mode M --status RC [--timed-out [--boot-limit]] ...
#       Called by run-vm.sh after QEMU exits.  Exit 0 = green, 1 = red.
#       Writes LOGDIR/summary-L.txt ("L: P passed, F failed, S skipped
#       [, X expected failures]"), LOGDIR/results-L.txt (one
#       "<status> <test-id>" line per test) and LOGDIR/verdict-L.txt
#       (GREEN or RED and every ERROR line).
#   verdict.py compare --patched R1 --vanilla R2 --collections a,b --out F
#       Fails if a test of those collections passes on the pristine kernel
#       and fails, skips or is missing on the patched one.
#   verdict.py lint-inventory FILE     parse an inventory file, report errors
#   verdict.py splat-regex             print the console splat regex
#
# Why a separate program: the guest's verdict byte, the TAP stream and the
# console are three witnesses that can each be lost or truncated (nbcon
# consoles print from a kthread, QEMU exits the moment the guest writes
# its verdict).  A boot is green only when all three agree and are
# complete; every way to disagree has its own ERROR line, so a red boot
# says why.  harness/selftest/run.sh feeds each of those ways through
# run-vm.sh with a stub QEMU and requires red.
#
# Test ids (the inventory's and results files' key):
#   C:T:<case>   a nested TAP result of binary T of collection C; <case> is
#                the text after the number up to an optional " # "
#                directive, or "#<n>" when that text is empty (ksft_*
#                skips print "ok 3 # SKIP ..."); a repeated case name gets
#                " [2]", " [3]"...
#   C:T          the binary itself: only when it printed no nested result,
#                or when it failed as a whole (exit status, timeout, plan)
#                while none of its nested cases failed
#   ptw:<id>     a guest check after the runner
import argparse
import os
import re
import sys

# Kernel splats.  The headers of lockdep, KASAN, KFENCE, SLUB debug,
# debugobjects, hung-task and RCU stall reports all start with one of
# these; "Call Trace:" and "RIP:" catch any other stack or register dump.
# A console that dropped printk records ("** 12 printk messages dropped
# **") may have dropped a splat, so it counts as one.  Not here:
# kmemleak's "N new suspected memory leaks", which the guest's boot-time
# scan prints for leaks that predate the tests; ptw:kmemleak judges leaks.
SPLAT_PATTERNS = [
    r"WARNING: ",
    r"BUG: ",
    r"BUG [a-z]",
    r"kernel BUG at",
    r"Kernel BUG",
    r"Oops",
    r"Kernel panic",
    r"general protection fault",
    r"UBSAN:",
    r"KASAN:",
    r"ODEBUG:",
    r"CFI failure",
    r"possible circular locking",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"INFO: ",
    r"rcu: INFO",
    r"unreferenced object",
    r"Call Trace:",
    r"RIP: ",
    r"messages dropped",
]
SPLAT = re.compile("|".join(SPLAT_PATTERNS))
DROPPED = re.compile(r"messages dropped")

# The control boot's one expected WARNING names LKDTM (CONFIG_KALLSYMS and
# CONFIG_DEBUG_BUGVERBOSE print "WARNING: drivers/misc/lkdtm/bugs.c:164 at
# lkdtm_WARNING+0x...").  Its report runs to the "---[ end trace" line.
CONTROL_WARNING = re.compile(r"WARNING: .*lkdtm", re.IGNORECASE)
END_TRACE = re.compile(r"---\[ end trace")

MODES = ("check", "demo", "bench", "stress", "control")
TAP_MODES = ("check", "stress", "control")
STATUSES = ("pass", "skip", "fail", "flaky")
RESULT_STATUSES = ("pass", "skip", "fail", "xfail-known")

TOP_RESULT = re.compile(r"^(not ok|ok)(?=\s|$)\s*(\d+)?\s*(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)\s*(.*)$")
SECTION = re.compile(r"^# selftests: (\S+): (\S+)\s*$")
BINARY_DESC = re.compile(r"^selftests: (\S+): (\S+)$")
RUNNER_DONE = "# guest runner done"

# Lines of context shown per problem: enough to see what happened without
# burying the ERROR lines.
CONTEXT_LINES = 20
MAX_ERRORS_SHOWN = 40


def split_directive(rest):
    """'name # SKIP why' -> ('name', 'SKIP why'); '# SKIP why' -> ('', 'SKIP why')."""
    rest = rest.strip()
    if rest.startswith("#"):
        return "", rest[1:].strip()
    i = rest.find(" # ")
    if i < 0:
        return rest, ""
    return rest[:i].strip(), rest[i + 3:].strip()


def directive_kind(directive):
    word = directive.split(" ", 1)[0].upper() if directive else ""
    for kind in ("SKIP", "TODO", "XFAIL", "XPASS", "TIMEOUT"):
        if word.startswith(kind):
            return kind
    return ""


def result_status(ok, kind):
    """Status of one TAP result.  XFAIL/TODO count as passed; an XPASS
    (a case expected to fail passed) and a "not ok ... # SKIP" are
    failures, as kselftest's own exit status treats them."""
    if ok:
        if kind == "XPASS":
            return "fail"
        return "skip" if kind == "SKIP" else "pass"
    return "pass" if kind in ("TODO", "XFAIL") else "fail"


class Result:
    def __init__(self, lineno, ok, num, name, directive):
        self.lineno = lineno
        self.ok = ok
        self.num = num
        self.name = name
        self.directive = directive
        self.kind = directive_kind(directive)

    def line(self):
        s = ("ok" if self.ok else "not ok") + (" %d" % self.num if self.num is not None else "")
        s += (" " + self.name) if self.name else ""
        return s + (" # " + self.directive if self.directive else "")


class Section:
    """One '# selftests: C: T' block: the binary's prefixed output."""

    def __init__(self, lineno, coll, binary):
        self.lineno = lineno
        self.coll = coll
        self.binary = binary
        self.results = []
        self.plans = []  # (count, directive)
        self.bail = None
        self.lines = []  # (lineno, raw line) for context


class Test:
    def __init__(self, tid, status, why="", lineno=None):
        self.tid = tid
        self.status = status  # pass/skip/fail, later also xfail-known
        self.why = why  # what an ERROR line says if it fails
        self.lineno = lineno


class Tap:
    """The TAP stream of one boot, as far as it reached the host."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.plans = []  # (lineno, count, directive)
        self.top = []  # top-level Results
        self.runner_done = False
        self.after_done = []  # results after "# guest runner done"
        self.bail = []
        self.tests = []
        self.ids = set()
        self.problems = []  # (message, context lines)
        self.sections = {}
        self.parse()

    def parse(self):
        try:
            with open(self.path, "rb") as f:
                raw = f.read().decode("utf-8", "replace")
        except OSError as e:
            self.problems.append(("TAP file %s unreadable: %s" % (self.path, e.strerror), []))
            return
        self.lines = [ln.rstrip("\r") for ln in raw.split("\n")]
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        sec = None
        for n, line in enumerate(self.lines, 1):
            if line.startswith("# selftests: "):
                m = SECTION.match(line)
                if m:
                    if sec is not None:
                        # The previous binary's result line never arrived.
                        self.close_section(sec, None)
                    sec = Section(n, m.group(1), m.group(2))
                    continue
            if line == RUNNER_DONE:
                if sec is not None:
                    self.close_section(sec, None)
                    sec = None
                self.runner_done = True
                continue
            if sec is not None and line.startswith("#"):
                sec.lines.append((n, line))
                self.parse_nested(sec, n, line[2:] if line.startswith("# ") else line[1:])
                continue
            if line.startswith("#") or not line.strip():
                continue
            m = PLAN.match(line)
            if m:
                self.plans.append((n, int(m.group(1)), m.group(2)))
                continue
            if line.startswith("Bail out!"):
                self.bail.append((n, line))
                continue
            m = TOP_RESULT.match(line)
            if not m:
                continue  # not TAP: ignored, as TAP says
            name, directive = split_directive(m.group(3))
            r = Result(n, m.group(1) == "ok", int(m.group(2)) if m.group(2) else None, name, directive)
            self.top.append(r)
            if self.runner_done:
                self.after_done.append(r)
            b = BINARY_DESC.match(name)
            if sec is not None:
                if b and (b.group(1), b.group(2)) == (sec.coll, sec.binary):
                    self.close_section(sec, r)
                    sec = None
                    continue
                self.close_section(sec, None)
                sec = None
            if b:
                # A runner result without its "# selftests:" header: the
                # binary's whole output is missing.
                self.close_section(Section(n, b.group(1), b.group(2)), r)
            else:
                self.add_check(r)
        if sec is not None:
            self.close_section(sec, None)

    @staticmethod
    def parse_nested(sec, n, inner):
        # Deeper KTAP levels are indented: only the binary's own level counts.
        if inner.startswith("Bail out!"):
            sec.bail = (n, inner)
            return
        m = PLAN.match(inner)
        if m:
            sec.plans.append((int(m.group(1)), m.group(2).lstrip("#").strip()))
            return
        m = TOP_RESULT.match(inner)
        if m:
            name, directive = split_directive(m.group(3))
            sec.results.append(Result(n, m.group(1) == "ok", int(m.group(2)) if m.group(2) else None,
                                      name, directive))

    def context(self, first, last):
        """TAP lines first..last (1-based, inclusive), for an error's context."""
        first = max(first, last - CONTEXT_LINES + 1, 1)
        return ["  %s:%d: %s" % (os.path.basename(self.path), i, self.lines[i - 1])
                for i in range(first, min(last, len(self.lines)) + 1)]

    def add_check(self, r):
        # Guest checks: "ptw:<id> free text"; any other top-level result is
        # keyed by its whole description.
        desc = r.name
        tid = desc.split()[0] if desc.startswith("ptw:") else (desc or "#%s" % r.num)
        status = result_status(r.ok, r.kind)
        why = "guest check %s failed: %s" % (tid, r.line()) if tid.startswith("ptw:") else \
            "top-level test failed: %s" % r.line()
        self.tests.append(Test(self.unique(tid), status, why, r.lineno))

    def unique(self, tid):
        """A test id not used yet in this boot: repeats get " [2]", " [3]"..."""
        k, u = 1, tid
        while u in self.ids:
            k += 1
            u = "%s [%d]" % (tid, k)
        self.ids.add(u)
        return u

    def close_section(self, sec, top):
        """Turn one binary's section and runner result into tests."""
        base = "%s:%s" % (sec.coll, sec.binary)
        label = "%s: %s" % (sec.coll, sec.binary)
        self.sections[base] = sec
        nested = []
        for r in sec.results:
            case = r.name if r.name else "#%s" % r.num
            tid = self.unique("%s:%s" % (base, case))
            st = result_status(r.ok, r.kind)
            t = Test(tid, st, "%s failed (%s)" % (tid, r.line()), r.lineno)
            nested.append(t)
            self.tests.append(t)
        nested_failed = any(t.status == "fail" for t in nested)
        end = top.lineno if top else (sec.lines[-1][0] if sec.lines else sec.lineno)

        def whole(why):
            self.tests.append(Test(self.unique(base), "fail", why, end))

        if top is None:
            whole("%s: the runner's result line for this binary is missing "
                  "(TAP lines lost, or the runner died while it ran)" % label)
        elif not top.ok:
            if top.kind == "TIMEOUT":
                whole("%s hung: the runner killed it (%s)" % (label, top.line()))
            elif not nested_failed:
                if nested:
                    whole("%s failed as a whole (%s) although none of its %d nested cases failed"
                          % (label, top.line(), len(nested)))
                else:
                    whole("%s failed (%s) without a nested TAP result" % (label, top.line()))
        elif not nested:
            skip_plan = any(c == 0 and directive_kind(d) == "SKIP" for c, d in sec.plans)
            if top.kind == "SKIP" and skip_plan:
                self.tests.append(Test(self.unique(base), "skip", "", top.lineno))
            elif top.kind == "SKIP":
                whole("%s: the runner says SKIP but the binary printed no skip plan "
                      "(\"1..0 # SKIP why\")" % label)
            else:
                whole("%s printed no TAP result of its own (a silent binary is a failure, "
                      "not a pass): %s" % (label, top.line()))
        else:
            counts = [c for c, _ in sec.plans]
            if len(counts) != 1:
                whole("%s printed %d nested plans for %d nested results"
                      % (label, len(counts), len(nested)))
            elif counts[0] != len(nested):
                whole("%s printed plan 1..%d but %d nested results" % (label, counts[0], len(nested)))
            elif sec.bail and not nested_failed:
                whole("%s bailed out: %s" % (label, sec.bail[1]))


# ---- inventory ----------------------------------------------------------------

class Inventory:
    """harness/inventory.txt: '[label ...]' sections of 'STATUS TEST-ID [# comment]'."""

    def __init__(self, path):
        self.path = path
        self.boots = {}  # label -> {tid: (status, lineno)}
        self.errors = []
        self.parse()

    def parse(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except OSError as e:
            self.errors.append("inventory %s unreadable: %s" % (self.path, e.strerror))
            return
        labels = None
        for n, line in enumerate(lines, 1):
            where = "%s:%d" % (self.path, n)
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("["):
                if not s.endswith("]") or not s[1:-1].split():
                    self.errors.append("%s: bad section header %r" % (where, s))
                    labels = None
                    continue
                labels = s[1:-1].split()
                for lb in labels:
                    self.boots.setdefault(lb, {})
                continue
            body, sep, comment = s.partition(" # ")
            if not sep and s.endswith(" #"):
                body, comment = s[:-2], ""
            parts = body.strip().split(None, 1)
            if labels is None:
                self.errors.append("%s: entry before any [label] section" % where)
                continue
            if len(parts) != 2 or parts[0] not in STATUSES:
                self.errors.append("%s: expected 'pass|skip|fail|flaky TEST-ID', got %r" % (where, s))
                continue
            status, tid = parts[0], parts[1].strip()
            if status in ("fail", "flaky") and not comment.strip():
                self.errors.append("%s: '%s %s' needs its evidence in a trailing comment "
                                   "(' # fails on the pristine kernel too: ...')" % (where, status, tid))
            if status in ("fail", "flaky") and tid.startswith("ptw:"):
                self.errors.append("%s: guest check %s cannot be a known failure" % (where, tid))
            for lb in labels:
                if tid in self.boots[lb]:
                    self.errors.append("%s: %s listed twice for boot %s (first at line %d)"
                                       % (where, tid, lb, self.boots[lb][tid][1]))
                self.boots[lb][tid] = (status, n)


# ---- the boot verdict -----------------------------------------------------------

class Boot:
    def __init__(self, a):
        self.a = a
        self.errors = []  # (message, test id or None, order)
        self.context = []  # blocks of lines shown before the ERROR lines
        self.notes = []  # what was checked, shown when green too
        self.tests = []
        self.missing = []
        self.phase = 4  # orders the ERROR lines, see report()

    def err(self, msg, tid=None, ctx=None, order=None):
        self.errors.append((msg, tid, self.phase if order is None else order))
        if ctx and ctx not in self.context:
            self.context.append(ctx)

    # -- the console ------------------------------------------------------
    def scan_console(self):
        a = self.a
        self.phase = 2
        try:
            with open(a.console, "rb") as f:
                lines = [ln.rstrip("\r") for ln in f.read().decode("utf-8", "replace").split("\n")]
            while lines and not lines[-1].strip():
                lines.pop()
        except OSError as e:
            self.err("console log %s unreadable: %s" % (a.console, e.strerror))
            lines = []
        name = os.path.basename(a.console)

        # The control boot's expected WARNING: the whole report of the first
        # LKDTM WARNING is excused, nothing else.
        excused = set()
        if a.mode == "control":
            start = next((i for i, ln in enumerate(lines) if CONTROL_WARNING.search(ln)), None)
            if start is None:
                self.err("the console scan missed the control WARNING (no \"WARNING: ... lkdtm\" line in %s)"
                         % a.console, ctx=["--- last lines of %s:" % name] + lines[-CONTEXT_LINES:])
            else:
                end = next((i for i in range(start, len(lines)) if END_TRACE.search(lines[i])), None)
                if end is None:
                    self.err("the control WARNING's report in %s has no \"---[ end trace\" line "
                             "(console truncated?)" % a.console)
                    end = start
                excused = set(range(start, end + 1))
                self.notes.append("control WARNING seen in the console (%s lines %d-%d)"
                                  % (name, start + 1, end + 1))

        hits = [i for i, ln in enumerate(lines) if i not in excused and SPLAT.search(ln)]
        if hits:
            dropped = [i for i in hits if DROPPED.search(lines[i])]
            ctx = ["--- kernel splat in %s:" % a.console]
            shown = 0
            last = -1
            for i in hits:
                if i <= last or shown >= 150:
                    continue
                lo, hi = max(i - 2, last + 1), min(i + 40, len(lines))
                ctx += ["  %s:%d: %s" % (name, j + 1, lines[j]) for j in range(lo, hi)]
                shown += hi - lo
                last = hi - 1
            others = [i for i in hits if i not in dropped]
            if dropped:
                self.err("the console dropped printk messages (%s): a splat may be hidden"
                         % lines[dropped[0]].strip(), ctx=ctx)
            if others:
                self.err("kernel splat in the console: %s (%d matching lines)"
                         % (lines[others[0]].strip(), len(others)), ctx=None if dropped else ctx)
        else:
            self.notes.append("no splat in the console")

        # Only a console that printed this boot's marker has drained: what
        # the kernel printed before it reached the host.
        want = "ptw: console drain marker %s" % a.drain
        found = [ln for ln in lines if "ptw: console drain marker" in ln]
        if any(ln.rstrip().endswith(want) or (want + " ") in ln for ln in found):
            self.notes.append("console drain marker seen")
        elif found:
            self.err("console drain marker has the wrong token (want %s, got: %s): a stale console log?"
                     % (a.drain, found[-1].strip()))
        else:
            self.err("the console did not drain: \"%s\" missing from %s (output printed before the verdict "
                     "may be lost)" % (want, a.console),
                     ctx=["--- last lines of %s:" % name] + lines[-CONTEXT_LINES:])
        self.console_tail = lines[-CONTEXT_LINES:]

    # -- the TAP stream ---------------------------------------------------
    def check_tap(self):
        a = self.a
        self.phase = 1
        tap = Tap(a.tap)
        self.tap = tap
        for msg, ctx in tap.problems:
            self.err(msg, ctx=ctx)
        last = len(tap.lines)
        tail = tap.context(last - 10, last)
        if len(tap.plans) == 0:
            self.err("no TAP plan (\"1..N\") in %s" % a.tap, ctx=["--- end of the TAP stream:"] + tail)
        elif len(tap.plans) > 1:
            self.err("%d TAP plans in %s (lines %s): the runner's own plan was not removed?"
                     % (len(tap.plans), a.tap, ", ".join(str(p[0]) for p in tap.plans)))
        else:
            n = tap.plans[0][1]
            if n != len(tap.top):
                self.err("plan 1..%d but %d results reached the host (TAP lines lost, or the guest runner "
                         "stopped early)" % (n, len(tap.top)), ctx=["--- end of the TAP stream:"] + tail)
            else:
                self.notes.append("plan 1..%d complete" % n)
        nums = [r.num for r in tap.top]
        if nums != list(range(1, len(nums) + 1)):
            bad = next(i for i, x in enumerate(nums, 1) if x != i)
            self.err("TAP result numbers out of sequence at result %d (%s)" % (bad, tap.top[bad - 1].line()))
        if not tap.runner_done:
            self.err("\"%s\" missing: the guest runner did not finish (or its last lines were lost)"
                     % RUNNER_DONE, ctx=["--- end of the TAP stream:"] + tail)
        elif tap.after_done:
            self.err("%d results after \"%s\"" % (len(tap.after_done), RUNNER_DONE))
        for n, line in tap.bail:
            self.err("the guest bailed out: %s" % line)
        self.tests = tap.tests
        self.complete = (len(tap.plans) == 1 and tap.plans[0][1] == len(tap.top) and tap.runner_done
                         and not tap.after_done)

    # -- the inventory ----------------------------------------------------
    def check_inventory(self):
        a = self.a
        self.phase = 4
        inv = Inventory(a.inventory)
        for e in inv.errors:
            self.err(e)
        want = inv.boots.get(a.label)
        if a.record:
            self.record()
        if want is None:
            if a.record:
                self.notes.append("record mode: no inventory for boot %s, section written for review" % a.label)
            else:
                self.err("no inventory for boot %s in %s (PTW_INVENTORY_RECORD=1 writes one for review)"
                         % (a.label, a.inventory))
            return
        got = {t.tid: t for t in self.tests}
        changed = 0
        for t in self.tests:
            if t.tid not in want:
                self.err("%s: unexpected test %s (got %s; not in the inventory for boot %s)"
                         % (a.label, t.tid, t.status, a.label), t.tid)
                changed += 1
                continue
            exp = want[t.tid][0]
            if exp in ("fail", "flaky") and t.status == "fail":
                t.status = "xfail-known"
            elif exp == "flaky" and t.status == "pass":
                pass
            elif exp != t.status:
                self.err("%s: %s: expected %s, got %s" % (a.label, t.tid, exp, t.status), t.tid)
                changed += 1
        for tid, (exp, n) in want.items():
            if tid not in got:
                self.missing.append(tid)
                self.err("%s: missing test %s (expected %s, %s:%d)" % (a.label, tid, exp, a.inventory, n), tid)
                changed += 1
        if not changed:
            self.notes.append("inventory [%s] matches (%d tests)" % (a.label, len(want)))

    def record(self):
        a = self.a
        path = os.path.join(a.logdir, "inventory-%s.txt" % a.label)
        with open(path, "w", encoding="utf-8") as f:
            f.write("# Recorded by harness/verdict.py from boot %s (%s); review, then merge into\n"
                    "# harness/inventory.txt.  Every known failure needs its evidence (it fails on\n"
                    "# the pristine kernel too) in its trailing comment.\n[%s]\n"
                    % (a.label, os.path.basename(a.tap), a.label))
            for t in self.tests:
                if t.status in ("fail", "xfail-known"):
                    if t.tid.startswith("ptw:"):
                        f.write("# fail %s  # a guest check must pass: fix it\n" % t.tid)
                    else:
                        f.write("fail %s  # EVIDENCE NEEDED: failed in boot %s\n" % (t.tid, a.label))
                else:
                    f.write("%s %s\n" % (t.status, t.tid))
        print("    record mode: inventory section for boot %s written to %s (review it; "
              "harness/inventory.txt is not changed)" % (a.label, path), file=sys.stderr)

    # -- QEMU's exit status: the guest's verdict byte ---------------------
    def check_status(self):
        a = self.a
        self.phase = 0
        st = a.status
        console_ctx = ["--- last lines of %s:" % a.console] + ["  " + ln for ln in self.console_tail]
        if a.timed_out or st in (124, 137):
            if a.boot_limit:
                why = "stopped at the boot limit, PTW_BOOT_LIMIT: no TAP line"
            else:
                why = "host timeout, PTW_VM_TIMEOUT"
            self.err("guest hung: no verdict within %ss (%s; QEMU status %d)" % (a.timeout, why, st),
                     ctx=console_ctx)
        elif st == 1:
            self.notes.append("guest verdict: all passed (QEMU status 1)")
        elif st == 3:
            self.check_failure_verdict()
        elif st == 0:
            self.err("guest stopped without a verdict (QEMU status 0: panic or poweroff)", ctx=console_ctx)
        else:
            self.err("QEMU failed with status %d (see %s)" % (st, a.qemu_log or "the QEMU log"),
                     ctx=self.qemu_log_tail())

    def check_failure_verdict(self):
        """QEMU status 3: the guest wrote 1, "a test failed".  That is red,
        except in a check boot whose complete TAP shows only failures the
        inventory pins as known (they fail on the pristine kernel too):
        those explain the guest's verdict.  A TAP without any failure means
        the failing lines never reached the host."""
        a = self.a
        if a.mode not in TAP_MODES:
            self.err("guest reported a failure (QEMU status 3): a reproducer or the guest script failed "
                     "(see %s)" % a.tap)
            return
        failed = [t for t in self.tests if t.status in ("fail", "xfail-known")]
        if not failed:
            self.err("guest reported a failure (QEMU status 3) but the TAP that reached the host shows none: "
                     "TAP lines were lost (%d results, plan %s)"
                     % (len(self.tests), "/".join("1..%d" % p[1] for p in self.tap.plans) or "missing"))
        elif a.mode == "check" and self.complete and all(t.status == "xfail-known" for t in failed):
            self.notes.append("guest verdict 1 (QEMU status 3) explained by %d known failures" % len(failed))
        else:
            self.err("guest reported a failure (QEMU status 3)")

    def qemu_log_tail(self):
        if not self.a.qemu_log:
            return []
        try:
            with open(self.a.qemu_log, encoding="utf-8", errors="replace") as f:
                return ["--- %s:" % self.a.qemu_log] + ["  " + ln for ln in f.read().splitlines()[-CONTEXT_LINES:]]
        except OSError:
            return []

    # -- everything -------------------------------------------------------
    def run(self):
        a = self.a
        self.tap = None
        self.complete = False
        self.console_tail = []
        os.makedirs(a.logdir, exist_ok=True)
        self.scan_console()
        if a.mode in TAP_MODES:
            self.check_tap()
            if a.mode == "check":
                self.check_inventory()
            if a.mode == "control":
                self.phase = 3
                ctl = [t for t in self.tests if t.tid == "ptw:control-dmesg"]
                if not ctl:
                    self.err("control boot without its \"ok N ptw:control-dmesg\" result: "
                             "the guest's dmesg scan did not report the control WARNING")
                elif ctl[0].status != "pass":
                    self.err("the guest's dmesg scan missed the control WARNING (ptw:control-dmesg %s)"
                             % ctl[0].status)
                # The other control: malformed counts must fail the kselftests.
                if not any(t.tid == "ptw:control-counts" for t in self.tests):
                    self.err("control boot without its \"ok N ptw:control-counts\" result: "
                             "nobody checked that malformed RACE_ITERS/UNLOAD_CYCLES are rejected")
        self.check_status()
        return self.report()

    def report(self):
        a = self.a
        # Failing tests are errors unless the inventory knows them.
        for t in self.tests:
            if t.status == "fail":
                ctx = None
                if self.tap is not None and t.lineno:
                    sec = next((s for b, s in self.tap.sections.items()
                                if t.tid == b or t.tid.startswith(b + ":")), None)
                    first = sec.lineno if sec else t.lineno
                    ctx = ["--- %s:" % t.tid] + self.tap.context(first, t.lineno)
                self.err(t.why, t.tid, ctx=ctx, order=3)
        # ERROR lines in the order a reader needs them: the guest's verdict,
        # the TAP stream's shape, the console, the tests, the inventory.
        self.errors.sort(key=lambda e: e[2])
        bad = {tid for _, tid, _ in self.errors if tid}
        harness = sum(1 for _, tid, _ in self.errors if not tid)
        p = sum(1 for t in self.tests if t.tid not in bad and t.status == "pass")
        s = sum(1 for t in self.tests if t.tid not in bad and t.status == "skip")
        x = sum(1 for t in self.tests if t.tid not in bad and t.status == "xfail-known")
        f = len(bad) + harness
        summary = "%s: %d passed, %d failed, %d skipped" % (a.label, p, f, s)
        if x:
            summary += ", %d expected failures" % x
        with open(os.path.join(a.logdir, "summary-%s.txt" % a.label), "w", encoding="utf-8") as fh:
            fh.write(summary + "\n")
        if a.mode in TAP_MODES:
            with open(os.path.join(a.logdir, "results-%s.txt" % a.label), "w", encoding="utf-8") as fh:
                for t in self.tests:
                    fh.write("%s %s\n" % (t.status, t.tid))
        red = bool(self.errors)
        with open(os.path.join(a.logdir, "verdict-%s.txt" % a.label), "w", encoding="utf-8") as fh:
            fh.write("%s %s\n" % (a.label, "RED" if red else "GREEN"))
            for msg, _, _ in self.errors:
                fh.write("ERROR: %s\n" % msg)
            for note in self.notes:
                fh.write("checked: %s\n" % note)
        # The problems' context, whole, for make check's closing lines
        # (check-summary shows the start of the first red boot's, last,
        # where a truncated CI log still shows it).
        ctx_path = os.path.join(a.logdir, "context-%s.txt" % a.label)
        if red and self.context:
            with open(ctx_path, "w", encoding="utf-8") as fh:
                for block in self.context:
                    fh.write("\n".join(block) + "\n")
        elif os.path.exists(ctx_path):
            os.remove(ctx_path)
        out = sys.stderr
        if red:
            shown = 0
            for block in self.context:
                if shown > 400:
                    break
                print("\n".join(block), file=out)
                shown += len(block)
            for msg, _, _ in self.errors[:MAX_ERRORS_SHOWN]:
                print("ERROR: %s" % msg, file=out)
            if len(self.errors) > MAX_ERRORS_SHOWN:
                print("ERROR: ... and %d more (all in %s)" % (len(self.errors) - MAX_ERRORS_SHOWN,
                      os.path.join(a.logdir, "verdict-%s.txt" % a.label)), file=out)
        else:
            print("    %s: green: %s" % (a.label, "; ".join(self.notes)), file=out)
        print(summary)
        return 1 if red else 0


# ---- compare: patched against pristine -------------------------------------------

def read_results(path):
    res = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            st, _, tid = line.partition(" ")
            if st not in RESULT_STATUSES or not tid:
                raise ValueError("%s:%d: expected '<status> <test-id>', got %r" % (path, n, line))
            res[tid] = "fail" if st == "xfail-known" else st
    return res


def compare(a):
    try:
        patched, vanilla = read_results(a.patched), read_results(a.vanilla)
    except (OSError, ValueError) as e:
        print("ERROR: compare: %s" % e, file=sys.stderr)
        return 1
    colls = [c for c in re.split(r"[,\s]+", a.collections) if c]
    # Tests the inventory marks flaky (they fail now and then on the
    # pristine kernel too, with the evidence there): reported, not judged.
    flaky = set()
    if a.inventory:
        inv = Inventory(a.inventory)
        if inv.errors:
            for e in inv.errors:
                print("ERROR: compare: %s" % e, file=sys.stderr)
            return 1
        flaky = {tid for boot in inv.boots.values() for tid, (st, _) in boot.items() if st == "flaky"}
    errors = []
    rows = []
    diffs = []
    for c in colls:
        ids = sorted({t for t in list(patched) + list(vanilla) if t.split(":", 1)[0] == c})
        cnt = {side: {st: 0 for st in STATUSES + ("missing",)} for side in ("vanilla", "patched")}
        regress = 0
        for tid in ids:
            v, p = vanilla.get(tid, "missing"), patched.get(tid, "missing")
            cnt["vanilla"][v] += 1
            cnt["patched"][p] += 1
            if v == "pass" and p != "pass" and not (tid in flaky and p == "fail"):
                regress += 1
                errors.append("%s passes on the pristine kernel but %s on the patched one"
                              % (tid, {"fail": "fails", "skip": "skips", "missing": "is missing"}[p]))
            if v != p:
                diffs.append("| `%s` | %s | %s | %s |" % (tid, v, p, "flaky, not judged" if tid in flaky else "judged"))
        if not any(vanilla.get(t) for t in ids):
            errors.append("collection %s: no result on the pristine kernel, nothing was compared" % c)
        if not any(patched.get(t) for t in ids):
            errors.append("collection %s: no result on the patched kernel" % c)
        rows.append("| %s | %d | %d | %d | %d | %d | %d | %d | %d |" % (
            c, cnt["vanilla"]["pass"], cnt["vanilla"]["fail"], cnt["vanilla"]["skip"],
            cnt["patched"]["pass"], cnt["patched"]["fail"], cnt["patched"]["skip"],
            cnt["patched"]["missing"], regress))
    table = ["Upstream kselftests, pristine kernel (%s) against patched kernel (%s), same config."
             % (os.path.basename(a.vanilla), os.path.basename(a.patched)), "",
             "| collection | pristine pass | pristine fail | pristine skip | patched pass | patched fail "
             "| patched skip | missing on patched | regressions |",
             "|---|---|---|---|---|---|---|---|---|"] + rows
    if diffs:
        table += ["", "Tests whose status differs:", "", "| test | pristine | patched | |", "|---|---|---|---|"] + diffs
    text = "\n".join(table) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    for e in errors:
        print("ERROR: compare: %s" % e, file=sys.stderr)
    return 1 if errors else 0


# ---- command line -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Decide a guest boot's verdict (see the header of this file).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("boot", help="verdict of one boot (run-vm.sh calls this)")
    b.add_argument("--label", required=True)
    b.add_argument("--mode", required=True, choices=MODES)
    b.add_argument("--status", required=True, type=int, help="QEMU's exit status")
    b.add_argument("--timed-out", action="store_true",
                   help="the host timeout fired, or run-vm.sh stopped the guest at its boot limit")
    b.add_argument("--timeout", default="?",
                   help="the host timeout in seconds, or the boot limit with --boot-limit (for messages)")
    b.add_argument("--boot-limit", action="store_true",
                   help="with --timed-out: run-vm.sh stopped the guest at its boot limit "
                        "(no TAP line in time); --timeout is that limit")
    b.add_argument("--tap", required=True)
    b.add_argument("--console", required=True)
    b.add_argument("--drain", required=True, help="the token of this boot's console drain marker")
    b.add_argument("--inventory", help="inventory file (mode check)")
    b.add_argument("--record", action="store_true",
                   help="also write LOGDIR/inventory-LABEL.txt; a boot missing from the inventory is not an error")
    b.add_argument("--logdir", required=True, help="where summary-, results- and verdict-LABEL.txt go")
    b.add_argument("--qemu-log")
    c = sub.add_parser("compare", help="patched against pristine results of upstream collections")
    c.add_argument("--patched", required=True)
    c.add_argument("--vanilla", required=True)
    c.add_argument("--collections", default="ptrace seccomp pidfd cgroup")
    c.add_argument("--out", help="also write the table here (for the docs)")
    c.add_argument("--inventory", help="the inventory: its flaky tests are reported, not judged")
    li = sub.add_parser("lint-inventory", help="parse an inventory file")
    li.add_argument("file")
    sub.add_parser("splat-regex", help="print the splat regex (grep -E syntax)")
    a = ap.parse_args()

    if a.cmd == "boot":
        if a.mode == "check" and not a.inventory:
            ap.error("mode check needs --inventory")
        if a.boot_limit and not a.timed_out:
            ap.error("--boot-limit goes with --timed-out")
        if not re.fullmatch(r"[0-9A-Za-z]{8,}", a.drain):
            ap.error("--drain needs a random token of at least 8 letters or digits")
        return Boot(a).run()
    if a.cmd == "compare":
        return compare(a)
    if a.cmd == "lint-inventory":
        inv = Inventory(a.file)
        for e in inv.errors:
            print("ERROR: %s" % e, file=sys.stderr)
        if not inv.errors:
            entries = sum(len(v) for v in inv.boots.values())
            print("    %s: %d boots, %d entries" % (a.file, len(inv.boots), entries), file=sys.stderr)
        return 1 if inv.errors else 0
    print("|".join(SPLAT_PATTERNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
