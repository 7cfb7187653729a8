"""Text for `sweep whatif` and `sweep diff`, readable in 80 columns: plain lines, no tables that wrap."""

from __future__ import annotations

import textwrap

from rich.console import Console

from ..monitor.diff import Side, SweepDiff
from ..monitor.savings import AFTER_CANCEL, AVOIDED
from ..monitor.whatif import WhatIf, WhatIfReport

BAR = 20  # the histogram's widest bar
WIDTH = 80


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.6g}"


def _seconds(v: float | None) -> str:
    return "?" if v is None else f"{v:.1f}"


def _span(low: float | None, high: float | None, unit: str = "") -> str:
    """An interval in words: one number when exact, 'at least' / 'at most' when one side is open."""
    if low is not None and high is not None and abs(high - low) < 1e-9:
        return f"{_seconds(low)}{unit}"
    if low is None:
        return f"at most {_seconds(high)}{unit}"
    if high is None:
        return f"at least {_seconds(low)}{unit}"
    return f"{_seconds(low)} to {_seconds(high)}{unit}"


def _print(out: Console, text: str = "") -> None:
    """One line, wrapped at 80 columns under its own indent plus two (a long list of trial names, a reason)."""
    indent = " " * (len(text) - len(text.lstrip(" ")) + 2)
    for line in textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False) or [""]:
        out.print(line, markup=False, highlight=False)


def render_whatif(report: WhatIfReport, out: Console) -> None:
    _print(
        out,
        f"what if: sweep {report.sweep} ({report.where}), {report.trials} trials",
    )
    _print(
        out, f"objective: {report.goal} {report.primary_metric}; recorded policy: {report.recorded_policy or 'none'}"
    )
    for w in report.settings:
        _print(out)
        _setting(w, out)


def _setting(w: WhatIf, out: Console) -> None:
    given = ", ".join(f"{k}={v}" for k, v in w.defaults.items())
    _print(out, w.setting + (f" (defaults: {given})" if given else ""))
    if not w.cancels:
        _print(out, "  " + _cancels_nothing(w))
    for c in w.cancels:
        when = "" if c.after_seconds is None else f", {c.after_seconds:.1f} s in"
        mark = "" if c.certain else " (uncertain: judged alongside values the record lacks)"
        _print(out, f"  cancels {c.trial} at interval {c.interval} (step {c.step}{when}){mark}")
        _print(out, f"    {AFTER_CANCEL}: {c.after_cancel_seconds:.1f} s; {AVOIDED}: {c.avoided_seconds:.1f} s")
        _print(out, f"    {c.reason}")
    if w.beyond_record:
        _print(
            out,
            f"  would let run past their record: {', '.join(w.beyond_record)} (stopped early in the record, so their "
            "later values are unknown)",
        )
    if w.fate_unknown:
        _print(
            out,
            f"  fate unknown: {', '.join(w.fate_unknown)}: judged alongside the values the trials let run past "
            "their record would have logged",
        )
    if w.cancels:
        _print(out, f"  {AFTER_CANCEL}: {w.savings.after_cancel_seconds:.1f} s of {w.recorded_seconds:.1f} recorded")
        _print(out, f"  {AVOIDED}: {w.savings.avoided_seconds:.1f} s")
    if not w.exact:
        _print(out, f"  trial-seconds it would run: {_span(*w.seconds, ' s')} of {w.recorded_seconds:.1f} recorded")
    _print(out, "  " + _best_line(w))
    for warning in w.warnings:
        _print(out, f"  note: {warning}")


def _cancels_nothing(w: WhatIf) -> str:
    """Why a setting cancels nothing, when the record says: too few values to judge, or one trial alone."""
    nth = _ordinal(w.first_judged)
    if not w.judgeable:
        logged = "1 value" if w.most_values == 1 else f"{w.most_values} values"
        return (
            f"cancels nothing: no trial logged enough values to be judged (it first judges a trial at its {nth} "
            f"value, and no trial logged more than {logged})"
        )
    if len(w.judgeable) == 1:
        return f"cancels nothing: only {w.judgeable[0]} logged a {nth} value, and a trial is judged against the others"
    if not w.exact:
        return "cancels nothing among the recorded values"
    return "cancels nothing: every trial it judged was within its bar"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _best_line(w: WhatIf) -> str:
    if w.recorded_best is None:
        return "best: no trial of the record has a usable value"
    loss_low, loss_high = w.loss
    if w.best_survives:
        text = f"best: {w.recorded_best} ({_num(w.recorded_best_value)}) survives"
    elif w.best_survives is None:
        text = f"best: unknown whether {w.recorded_best} ({_num(w.recorded_best_value)}) survives"
    else:
        text = (
            f"best: {w.recorded_best} ({_num(w.recorded_best_value)}) is canceled before its best; "
            f"the best is {w.best} ({_num(w.best_value)}), {_num(loss_high)} worse"
        )
    if w.exact or (w.best_survives and w.best_possible == w.best_value):
        return text
    if w.best_survives and w.best_possible is None:
        return text + ", though trials let run past their record could log a better value"
    return text + "; " + _best_value(w)


def _best_value(w: WhatIf) -> str:
    """The best value under a setting the record cannot settle, as a plain answer."""
    if w.best_possible is None:
        return (
            f"the best value would be {_num(w.best_value)} or better (trials let run past their record could log "
            "better ones)"
        )
    if w.best_possible == w.best_value:
        return f"the best value would be {_num(w.best_value)}"
    return f"the best value would be between {_num(w.best_value)} and {_num(w.best_possible)}"


def render_diff(d: SweepDiff, out: Console) -> None:
    a, b = d.a, d.b
    _print(out, f"A: {a.name} ({a.where}, {a.status}): {a.location}")
    _print(out, f"B: {b.name} ({b.where}, {b.status}): {b.location}")
    _print(out, f"objective: {d.goal} {d.primary_metric}")
    for warning in d.warnings:
        _print(out, f"warning: {warning}")
    _print(out)
    _row(out, "", "A", "B")
    for status in a.counts:
        if a.counts[status] or b.counts[status]:
            _row(out, status, str(a.counts[status]), str(b.counts[status]))
    _row(out, "best trial", a.best or "—", b.best or "—")
    _row(out, "best value", _num(a.best_value), _num(b.best_value))
    for key in ("min", "q25", "median", "q75", "max"):
        _row(out, key, _num(a.quantiles[key]), _num(b.quantiles[key]))
    _row(out, "policy", a.policy or "none", b.policy or "none")
    _row(out, "cancels", _cancels(a), _cancels(b))
    _print(out)
    _histogram(d, out)
    _print(out)
    _params(d, out)


def _row(out: Console, label: str, left: str, right: str) -> None:
    _print(out, f"{label:<12} {left[:32]:<33} {right[:32]}")


def _cancels(s: Side) -> str:
    parts = [f"{n} at {i}" for i, n in sorted(s.cancels.items())]
    if s.other_cancels:
        parts.append(f"{s.other_cancels} other")
    return ", ".join(parts) or "none"


def _histogram(d: SweepDiff, out: Console) -> None:
    if not d.edges:
        _print(out, f"{d.primary_metric}: no usable values on either side")
        return
    _print(out, f"each trial's best {d.primary_metric}:  A  |  B")
    top = max(d.histogram_a + d.histogram_b) or 1
    for i, (na, nb) in enumerate(zip(d.histogram_a, d.histogram_b, strict=True)):
        low = d.edges[i]
        bar_a = "#" * round(na / top * BAR)
        bar_b = "#" * round(nb / top * BAR)
        _print(out, f"  {low:>10.4g}  {na:>3} {bar_a:<{BAR}} | {nb:>3} {bar_b}")


def _params(d: SweepDiff, out: Console) -> None:
    if not d.differences:
        _print(out, f"parameters: the same in all {d.compared} trials, in order")
        return
    _print(out, f"parameters: {d.same_params} of {d.compared} paired trials the same; they differ at:")
    for p in d.differences[:20]:
        if p.a is None or p.b is None:
            _print(out, f"  trial {p.index}: only in {'B' if p.a is None else 'A'}")
            continue
        values = ", ".join(f"{k} {_value(p.a.get(k))} vs {_value(p.b.get(k))}" for k in p.keys)
        _print(out, f"  trial {p.index}: {values}")
    if len(d.differences) > 20:
        _print(out, f"  ... and {len(d.differences) - 20} more (--json lists them all)")


def _value(v) -> str:
    return "—" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
