#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# abi-codes.py TREE SUMMARY_FILE
#
# The reason and site codes are ABI (raw ptrace:* events carry them, the
# debugfs ABI names them) and never change value.  Pin them: the code
# tables of Documentation/ABI/testing/debugfs-ptrace-waking (the source of
# truth) must equal, value for value,
#   - the enums of include/linux/ptrace_waking.h in TREE (the patched kernel),
#   - the __print_symbolic() tables of include/trace/events/ptrace.h,
#   - the module's name tables (rust/stats.rs), and
#   - the kselftests' tables (selftests/ptrace_waking/ptw_abi.h).
# Prints TAP, writes "abi-codes: N passed, N failed, 0 skipped" to
# SUMMARY_FILE, exits non-zero on any difference.
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def doc_table(text, what):
    """Rows 'CODE  name  ...' of the table under the What: line for WHAT."""
    start = text.index("What:\t\t/sys/kernel/debug/ptrace_waking/%s/" % what)
    end = text.find("\nWhat:", start + 1)
    rows = re.findall(r"^\t\t(\d+)\s+(\w+)\s", text[start:end], re.M)
    return [(int(c), n) for c, n in rows]


def c_enum(text, name, prefix):
    """Members of 'enum NAME { ... }' with their values, *_NR dropped."""
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    out, val = [], 0
    for member in re.findall(r"^\s*(\w+)(?:\s*=\s*(\d+))?,", body, re.M):
        ident, explicit = member
        if explicit:
            val = int(explicit)
        if not ident.endswith("_NR"):
            out.append((val, ident[len(prefix):]))
        val += 1
    return out


def symbolic(text, prefix):
    """{ PREFIX_X, "string" } pairs of a __print_symbolic() table."""
    return re.findall(r"\{ %s(\w+), \"(\w+)\" \}" % prefix, text)


def strip_esrch(n):
    return n[len("ESRCH_"):] if n.startswith("ESRCH_") else n


def main():
    tree, summary = sys.argv[1], sys.argv[2]
    doc = read(os.path.join(TOP, "Documentation/ABI/testing/debugfs-ptrace-waking"))
    hdr = read(os.path.join(tree, "include/linux/ptrace_waking.h"))
    ev = read(os.path.join(tree, "include/trace/events/ptrace.h"))
    rs = read(os.path.join(TOP, "rust/stats.rs"))
    ts = read(os.path.join(TOP, "selftests/ptrace_waking/ptw_abi.h"))

    checks = []
    for what, enum, prefix, doc_name in (
            ("reasons", "ptrace_attach_reason", "PTRACE_ATTACH_", "reasons"),
            ("sites", "ptrace_waking_site", "PTRACE_WAKING_SITE_", "waking_sites")):
        want = doc_table(doc, doc_name)
        if not want or [c for c, _ in want] != list(range(len(want))):
            checks.append(("%s: the ABI document's table" % what, False,
                           "codes must be 0, 1, 2 ... in order, got %s" % [c for c, _ in want]))
            continue
        names = [n for _, n in want]
        # The kernel's enum: the doc name is the lower-case member without
        # the prefix (and without ESRCH_ for reasons).
        kern = [(c, strip_esrch(n).lower()) for c, n in c_enum(hdr, enum, prefix)]
        checks.append(("%s: include/linux/ptrace_waking.h enum %s" % (what, enum), kern == want,
                       "kernel %s, document %s" % (kern, want)))
        # The event's print table: code order, upper-case names.
        sym = [strip_esrch(m).lower() for m, _ in symbolic(ev, prefix)]
        checks.append(("%s: include/trace/events/ptrace.h print table" % what, sym == names,
                       "event %s, document %s" % (sym, names)))
        # The module: "name = PREFIX_MEMBER," rows, in code order.
        mod = [(n, strip_esrch(m).lower()) for n, m in re.findall(r"^\s+(\w+) = %s(\w+),$" % prefix, rs, re.M)]
        checks.append(("%s: rust/stats.rs names" % what,
                       [n for n, _ in mod] == names and all(a == b for a, b in mod),
                       "module %s, document %s" % (mod, names)))
        # The kselftests: { "name", ... } rows of ptw_reasons[] / ptw_sites[].
        arr = "ptw_reasons" if what == "reasons" else "ptw_sites"
        body = re.search(r"%s\[\] = \{(.*?)\n\};" % arr, ts, re.S).group(1)
        tst = re.findall(r"\{ \"(\w+)\"", body)
        checks.append(("%s: selftests/ptrace_waking/ptw_abi.h %s[]" % (what, arr), tst == names,
                       "tests %s, document %s" % (tst, names)))

    print("TAP version 13")
    print("1..%d" % len(checks))
    failed = 0
    for i, (name, ok, why) in enumerate(checks, 1):
        print("%s %d abi-codes: %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            print("# " + why)
    with open(summary, "w", encoding="utf-8") as f:
        f.write("abi-codes: %d passed, %d failed, 0 skipped\n" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
