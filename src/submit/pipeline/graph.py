"""The steps as a graph: a step depends on the steps whose outputs it takes. Its cycles (reported by the loader)
and an order that runs each step after its dependencies, in the file's order otherwise.

>>> from types import SimpleNamespace as S
>>> steps = {"a": S(depends_on=("b",)), "b": S(depends_on=()), "c": S(depends_on=("a",))}
>>> dependency_order(steps), cycles(steps)
(('b', 'a', 'c'), [])
>>> cycles({"a": S(depends_on=("b",)), "b": S(depends_on=("a",))})
[['a', 'b']]
"""

from __future__ import annotations


def cycles(steps: dict) -> list[list[str]]:
    """Each dependency cycle once, as the steps along it from the first in file order."""
    found: list[list[str]] = []
    seen: set[frozenset] = set()
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = trail[trail.index(name) :]
            key = frozenset(cycle)
            if key not in seen:
                seen.add(key)
                first = min(cycle, key=list(steps).index)
                at = cycle.index(first)
                found.append(cycle[at:] + cycle[:at])
            return
        if name in done or name not in steps:
            return
        for dependency in steps[name].depends_on:
            visit(dependency, [*trail, name])
        done.add(name)

    for name in steps:
        visit(name, [])
    return found


def dependency_order(steps: dict) -> tuple[str, ...]:
    """The steps, each after the steps it depends on; ties kept in file order. Assumes no cycle."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(steps):
        ready = [
            n for n in steps if n not in placed and all(d in placed or d not in steps for d in steps[n].depends_on)
        ]
        if not ready:  # a cycle: the loader has reported it
            ready = [n for n in steps if n not in placed]
        order.append(ready[0])
        placed.add(ready[0])
    return tuple(order)
