"""Where the compiled step's compile time goes: CPU seconds per Numba function, cold.

    NUMBA_CACHE_DIR=$(mktemp -d) PYTHONPATH=. python benchmarks/compile_time.py

Compiles the engine's step as ``spillover warmup`` does and prints, for each function
Numba compiled, how many specialisations it compiled, its CPU time including and
excluding the functions it calls, and the part of its own time spent holding Numba's
LLVM lock (lowering to LLVM IR, optimising and emitting machine code). Read from Numba's
compile events (``numba.core.event``). Run it with an empty ``NUMBA_CACHE_DIR``, or it
measures loading from the cache.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from numba.core import event


@dataclass
class Node:
    kind: str
    data: Any
    start: float
    seconds: float = 0.0
    kids: list[Node] = field(default_factory=list)


class Recorder(event.Listener):
    """Nested compile events, timed in CPU seconds of this process."""

    def __init__(self) -> None:
        self.stack: list[Node] = []
        self.roots: list[Node] = []

    def on_start(self, e: event.Event) -> None:
        self.stack.append(Node(e.kind, e.data, time.process_time()))

    def on_end(self, e: event.Event) -> None:
        node = self.stack.pop()
        node.seconds = time.process_time() - node.start
        (self.stack[-1].kids if self.stack else self.roots).append(node)


def nested(node: Node) -> float:
    """Seconds of the compiles started inside ``node`` (the outermost ones)."""
    return sum(k.seconds if k.kind == "numba:compile" else nested(k) for k in node.kids)


def in_llvm(node: Node) -> float:
    """Seconds ``node``'s own compile held the LLVM lock, without nested compiles."""
    total = 0.0
    for k in node.kids:
        if k.kind == "numba:llvm_lock":
            total += k.seconds - nested(k)
        elif k.kind != "numba:compile":
            total += in_llvm(k)
    return total


def name(data: Any) -> str:
    d = data.get("dispatcher") if isinstance(data, dict) else None
    return str(getattr(getattr(d, "py_func", None), "__qualname__", None) or getattr(d, "__qualname__", "?"))


def main() -> None:
    rec = Recorder()
    for kind in ("numba:compile", "numba:llvm_lock"):
        event.register(kind, rec)
    from spillover.engine.compiled import warm

    t = time.process_time()
    warm()
    total = time.process_time() - t
    rows: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])

    def walk(node: Node) -> None:
        if node.kind == "numba:compile":
            row = rows[name(node.data)]
            row[0] += 1
            row[1] += node.seconds
            row[2] += node.seconds - nested(node)
            row[3] += in_llvm(node)
        for k in node.kids:
            walk(k)

    for root in rec.roots:
        walk(root)
    print(f"compiling and loading the step: {total:.1f} CPU s")
    print(f"{'function':<34} {'compiled':>8} {'incl. s':>8} {'own s':>7} {'own LLVM s':>10}")
    for fn, (n, incl, own, llvm) in sorted(rows.items(), key=lambda kv: -kv[1][2]):
        print(f"{fn:<34} {int(n):>8} {incl:>8.2f} {own:>7.2f} {llvm:>10.2f}")


if __name__ == "__main__":
    main()
