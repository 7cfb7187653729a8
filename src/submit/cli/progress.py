"""The live progress of a local sweep: trials done / running / failed / canceled, the best so far, the time.

On a terminal a rich Live display, redrawn as ``run_local`` reports events; elsewhere (CI logs, pipes) one line per
trial start and end.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .tables import param_values

if TYPE_CHECKING:
    from ..emulator.live import LiveSweep


class LiveProgress:
    """Trials done / running / failed / canceled, the best so far with its parameters, and the elapsed time."""

    def __init__(self, console: Console):
        self.console = console
        self.result: LiveSweep | None = None
        self.live = None
        self._listed = 0  # result.trials[:_listed] have had their lines
        self._watched: list = []  # trials listed as started, whose end is still to print

    def event(self, kind: str, result: LiveSweep) -> None:
        self.result = result
        if kind == "start":
            self._start(result)
        elif kind == "warning":
            self.console.print(f"[yellow]warning[/] {escape(result.warnings[-1])}", highlight=False)
        elif self.live is None:
            self._lines(kind, result)

    def _start(self, result: LiveSweep) -> None:
        verb = "resuming" if result.resumed else "running"
        self.console.print(
            f"{verb} sweep [bold]{result.name}[/] locally, {result.concurrency} trial(s) at a time; store {result.tracking_uri}",
            highlight=False,
        )
        if result.tracking_server:
            self.console.print(f"trials log to the sweep's MLflow server {result.tracking_server}", highlight=False)
        if result.cap_note:
            self.console.print(f"[yellow]note[/] {result.cap_note}", highlight=False)
        from ..emulator.live import NOT_EMULATED

        for w in result.warnings:
            # how every run without --isolated works, not a fault of this spec: a note, as the cap above
            label = "note" if w == NOT_EMULATED else "warning"
            self.console.print(f"[yellow]{label}[/] {escape(w)}", highlight=False)
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.console, get_renderable=self.render, refresh_per_second=4, transient=True)
            self.live.start()

    def _lines(self, kind: str, result: LiveSweep) -> None:
        """Without a terminal, one line per trial start and end (a log that reads well in CI).

        Only trials new since the last event and those still running are looked at: a sweep of 10,000 trials must not
        rescan them all at every event.
        """
        for t in result.trials[self._listed :]:
            self._line(t, result)
            if t.status == "running":
                self._watched.append(t)
        self._listed = len(result.trials)
        still = []
        for t in self._watched:
            if t.status == "running":
                still.append(t)
            else:
                self._line(t, result)
        self._watched = still

    def _line(self, t, result: LiveSweep) -> None:
        if t.status == "running":
            self.console.print(f"started {t.name} {param_values(t.params)}", markup=False, highlight=False)
            return
        shown = t.judged if t.judged is not None else t.best  # a policy's cancel: what it judged, not values after
        value = "" if shown is None else f" {result.primary_metric}={shown:.6g}"
        why = f" ({t.cancel_reason})" if t.cancel_reason else (f" (exit code {t.exit_code})" if t.exit_code else "")
        self.console.print(f"{t.status} {t.name}{value}{why}", markup=False, highlight=False)

    def render(self):
        r = self.result
        if r is None:
            return Text("")
        line = Table.grid(padding=(0, 2))
        line.add_row(
            f"[green]{r.count('completed')} done[/]",
            f"[cyan]{r.count('running')} running[/]",
            f"[red]{r.count('failed')} failed[/]",
            f"[yellow]{r.count('canceled')} canceled[/]",
            f"{time.monotonic() - r.started:.0f} s",
        )
        best = r.best_trial
        text = (
            Text(f"best {r.primary_metric} = {best.best:.6g} ({best.name}) [{param_values(best.params)}]")
            if best
            else Text(f"best {r.primary_metric}: none yet")
        )
        return Group(line, text)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
