#!/usr/bin/env python3
"""Runs the shell examples of a Markdown document and checks their output.

Usage: doc_examples.py FILE.md

Every fenced block opened with ```console is a transcript: a line starting
with "$ " is a command (run with bash, in order, in the environment given),
the lines after it up to the next command or the end of the block are its
expected output. In an expected line "..." matches any text. The exit
status is 0 when every command printed what the document says, else 1 with
a diff per mismatch; it prints "N examples ok" on success.
"""
import re
import subprocess
import sys


def blocks(text):
    cur = None
    for line in text.splitlines():
        if cur is None:
            if line.strip() == "```console":
                cur = []
        elif line.strip() == "```":
            yield cur
            cur = None
        else:
            cur.append(line)
    if cur is not None:
        sys.exit("doc_examples: unterminated console block")


def examples(text):
    for b in blocks(text):
        cmd, out = None, []
        for line in b:
            if line.startswith("$ "):
                if cmd is not None:
                    yield cmd, out
                cmd, out = line[2:], []
            elif cmd is None:
                sys.exit("doc_examples: output before any command: %r" % line)
            else:
                out.append(line)
        if cmd is not None:
            yield cmd, out


def matches(want, got):
    if len(want) != len(got):
        return False
    for w, g in zip(want, got):
        pat = "^" + ".*".join(re.escape(p) for p in w.split("...")) + "$"
        if not re.match(pat, g):
            return False
    return True


def main():
    text = open(sys.argv[1]).read()
    n = bad = 0
    for cmd, want in examples(text):
        n += 1
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
        got = (r.stdout + r.stderr).splitlines()
        if not matches(want, got):
            bad += 1
            print("example %d: $ %s" % (n, cmd))
            for line in want:
                print("  want: " + line)
            for line in got:
                print("  got:  " + line)
    if n == 0:
        sys.exit("doc_examples: no examples in %s" % sys.argv[1])
    if bad:
        sys.exit(1)
    print("%d examples ok" % n)


main()
