"""Reads pytest's output on stdin; prints "PASSED FAILED SKIPPED" from its final summary line, or nothing.

The line looks like ``==== 3 failed, 10 passed, 1 skipped, 2 errors in 5.12s (0:00:05) ====`` (with ``-q``
without the ``=``); the counts come in any order and any subset. Errors count as failures, xpassed as passed,
xfailed as skipped. ``no tests ran`` gives 0 0 0.
"""
from __future__ import annotations

import re
import sys

_LINE = re.compile(r"^=*\s*(?P<counts>.*?)\s+in\s+[0-9.]+s\b.*?=*\s*$")
_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)\b")


def parse(text: str) -> tuple[int, int, int] | None:
    for line in reversed(text.splitlines()):
        m = _LINE.match(line.strip())
        if not m:
            continue
        counts = m["counts"]
        found = {word: int(n) for n, word in _COUNT.findall(counts)}
        if not found and "no tests ran" not in counts:
            continue
        passed = found.get("passed", 0) + found.get("xpassed", 0)
        failed = found.get("failed", 0) + found.get("error", 0) + found.get("errors", 0)
        skipped = found.get("skipped", 0) + found.get("xfailed", 0)
        return passed, failed, skipped
    return None


if __name__ == "__main__":
    result = parse(sys.stdin.read())
    if result is not None:
        print(*result)
