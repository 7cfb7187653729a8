"""Where a sweep's samples fell: each parameter's sampled values against its declared distribution, in its own scale,
and, for several sweeps, each sweep's empirical distribution (ECDF) of the final primary metric.

Coverage reads the distributions the sweep recorded (a local sweep: the parent's search-space tag; a cloud sweep: the
job's ``search_space``), with the sampling's ``logbase``. One panel per parameter: x the sampled value, y the trial
number (so clustering late in a Bayesian sweep shows as well as a gap), the declared range shaded: ``uniform`` and
``quniform`` their bounds, ``loguniform`` ``base**min_value..base**max_value`` on a log axis (bounds written as values
instead of exponents show as samples squeezed near 1, or spanning 40 decades), ``normal`` ``mu +- 2 sigma``,
``randint`` ``0..upper-1``, a choice every declared value as a category (a value never drawn is an empty column).
A q-distribution's grid is drawn as faint lines when it has few enough points to see.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..monitor.record import SweepSummary, TrialRecord, usable
from ..spec.space import bounds_meant_as_values
from .charts import STATUS_COLOUR, _label, esc

LOG_TYPES = ("loguniform", "qloguniform", "lognormal", "qlognormal")
MAX_GRID_LINES = 40


@dataclass
class Coverage:
    """One parameter's panel, as data: its scale, declared range, grid, categories, and what is worth a warning."""

    name: str
    kind: str | None  # the declared distribution's type; None when the sweep recorded none for it
    title: str
    scale: str  # "linear" | "log" | "category"
    band: tuple[float, float] | None = None  # the declared range (or mu +- 2 sigma), in values
    grid: list[float] = field(default_factory=list)  # a q-distribution's points inside the band, when few
    categories: list[str] = field(default_factory=list)  # a choice's declared values, then any other value seen
    counts: dict[str, int] = field(default_factory=dict)  # a choice's samples per category
    notes: list[str] = field(default_factory=list)


def coverage_of(summary: SweepSummary) -> list[Coverage]:
    space = summary.search_space or {}
    base = summary.logbase or math.e
    found = []
    for name in summary.parameter_names:
        values = [t.params[name] for t in summary.by_index() if name in t.params]
        declared = space.get(name)
        found.append(_coverage(name, declared if isinstance(declared, dict) else None, values, base))
    return found


def _coverage(name: str, declared: dict | None, values: list, base: float) -> Coverage:
    kind = (declared or {}).get("type")
    numeric = all(_is_number(v) for v in values)
    if kind == "choice" or (kind is None and not numeric):
        return _choice(name, declared, values)
    if kind is None:
        return Coverage(name, None, f"{name}: no declared distribution recorded", "linear")
    if kind == "randint":
        upper = _number(declared.get("upper"))
        band = (0.0, upper - 1) if upper is not None else None
        return _checked(Coverage(name, kind, f"{name}: randint(upper={_g(upper)})", "linear", band), values)
    log = kind in LOG_TYPES and all(v > 0 for v in values if _is_number(v))
    lo, hi, what = _declared_range(kind, declared, base)
    cov = Coverage(name, kind, f"{name}: {what}", "log" if log else "linear", (lo, hi) if lo is not None else None)
    if kind in ("loguniform", "qloguniform") and lo is not None:
        _log_advice(cov, declared, base)
    q = _number(declared.get("q"))
    if q and cov.band and 0 < (cov.band[1] - cov.band[0]) / q <= MAX_GRID_LINES:
        first = math.ceil(cov.band[0] / q - 1e-9)
        cov.grid = [round(k * q, 12) for k in range(first, math.floor(cov.band[1] / q + 1e-9) + 1)]
    return _checked(cov, values)


def _declared_range(kind: str, d: dict, base: float) -> tuple[float | None, float | None, str]:
    """The range the distribution covers, in values, and how the panel's title says it."""
    b = "e" if base == math.e else f"{base:g}"
    q = f", q={_g(d.get('q'))}" if "q" in d else ""
    if kind in ("uniform", "quniform", "loguniform", "qloguniform"):
        lo, hi = _number(d.get("min_value")), _number(d.get("max_value"))
        if lo is None or hi is None:
            return None, None, f"{kind}(?)"
        if kind.endswith("loguniform"):
            vlo, vhi = _power(base, lo), _power(base, hi)
            return vlo, vhi, f"{kind}({_g(lo)}, {_g(hi)}{q}) = {b}^{_g(lo)}..{b}^{_g(hi)} = {_g(vlo)}..{_g(vhi)}"
        return lo, hi, f"{kind}({_g(lo)}, {_g(hi)}{q})"
    mu, sigma = _number(d.get("mu")), _number(d.get("sigma"))
    if mu is None or sigma is None:
        return None, None, f"{kind}(?)"
    lo, hi = mu - 2 * sigma, mu + 2 * sigma
    if kind.endswith("lognormal"):
        vlo, vhi = _power(base, lo), _power(base, hi)
        return vlo, vhi, f"{kind}(mu={_g(mu)}, sigma={_g(sigma)}{q}): 95% in {_g(vlo)}..{_g(vhi)}"
    return lo, hi, f"{kind}(mu={_g(mu)}, sigma={_g(sigma)}{q}): 95% in {_g(lo)}..{_g(hi)}"


def _log_advice(cov: Coverage, d: dict, base: float) -> None:
    # the spec's loguniform advice, said again where the samples show it: bounds that look like the values meant
    lo, hi = _number(d.get("min_value")), _number(d.get("max_value"))
    vlo, vhi = cov.band
    if bounds_meant_as_values(lo, hi, vlo, vhi):
        hint = f"; for {_g(lo)}..{_g(hi)} write {_g(math.log(lo, base))}..{_g(math.log(hi, base))}" if lo > 0 else ""
        cov.notes.append(f"{cov.name}: the bounds are exponents, so it samples {_g(vlo)}..{_g(vhi)}{hint}")


def _choice(name: str, declared: dict | None, values: list) -> Coverage:
    options = (declared or {}).get("values") or []
    flat = [o for o in options if not isinstance(o, dict)]
    categories = [_label(o) for o in flat]
    categories += sorted({_label(v) for v in values} - set(categories))
    title = f"{name}: choice of {len(options)}" if declared else f"{name}: no declared distribution recorded"
    counts = Counter(_label(v) for v in values)
    cov = Coverage(name, "choice" if declared else None, title, "category", categories=categories, counts=counts)
    never = [c for c in categories[: len(flat)] if not counts[c]]
    if never and len(values) >= 5 * len(flat):  # by chance, with fewer trials: (1 - 1/k)^n is no longer small
        cov.notes.append(f"{name}: never sampled {', '.join(never[:8])}" + (" …" if len(never) > 8 else ""))
    return cov


def _checked(cov: Coverage, values: list) -> Coverage:
    # only these keep every sample inside their range: q-rounding may leave it (on Azure too), normals have no bounds
    if cov.band is None or cov.kind not in ("uniform", "loguniform", "randint"):
        return cov
    lo, hi = cov.band
    tol = 1e-9 * max(abs(lo), abs(hi), 1e-300)
    outside = [v for v in values if _is_number(v) and not (lo - tol <= v <= hi + tol)]
    if outside:
        cov.notes.append(f"{cov.name}: {len(outside)} sample(s) outside the declared range")
    return cov


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(v: Any) -> float | None:
    return float(v) if _is_number(v) else None


def _power(base: float, x: float) -> float:
    try:
        return base**x
    except OverflowError:
        return math.inf


def _g(v: Any) -> str:
    return "?" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def coverage_chart(summary: SweepSummary, panels: list[Coverage] | None = None):
    """One panel per parameter: every trial's sampled value (x, in the parameter's scale) by trial number (y)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = panels if panels is not None else coverage_of(summary)
    cols = min(3, max(len(panels), 1))
    rows = max(1, math.ceil(len(panels) / cols))
    height = 270 * rows + 70
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[p.title for p in panels] or ["(no parameters)"],
        horizontal_spacing=0.07,
        vertical_spacing=80 / height,  # room for a row's ticks and the next row's titles
    )
    shown: set[str] = set()
    trials = summary.by_index()
    for i, panel in enumerate(panels):
        row, col = divmod(i, cols)
        for status, colour in STATUS_COLOUR.items():
            group = [t for t in trials if t.status == status and panel.name in t.params]
            if group:
                fig.add_trace(_points(go, panel, group, status, colour, summary, status not in shown), row + 1, col + 1)
                shown.add(status)
        _axis(fig, panel, [t.params[panel.name] for t in trials if panel.name in t.params], row + 1, col + 1)
    last = max((t.index or 0 for t in trials), default=0)
    fig.update_yaxes(range=[-0.6, max(last, 1) + 0.6], **({"dtick": 1} if last < 8 else {}))
    fig.update_yaxes(title_text="trial #", col=1)
    fig.update_annotations(font_size=12, yshift=6)  # a title's '_' clear of its panel (charts.clear_titles)
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.08 if rows == 1 else -0.03},
    )
    return fig


def _points(go, panel: Coverage, group: list[TrialRecord], status, colour, summary: SweepSummary, legend: bool):
    xs = [_label(t.params[panel.name]) if panel.scale == "category" else t.params[panel.name] for t in group]
    return go.Scatter(
        x=xs,
        y=[t.index if t.index is not None else n for n, t in enumerate(group)],
        mode="markers",
        name=status,
        legendgroup=status,
        showlegend=legend,
        marker={"color": colour, "size": 6, "opacity": 0.75},
        hovertext=[
            f"{esc(t.name)} {t.status}<br>{esc(panel.name)} = {esc(_label(t.params[panel.name]))}"
            + (f"<br>{esc(summary.primary_metric)} {t.best:.6g}" if usable(t.best) else "")
            for t in group
        ],
        hoverinfo="text",
    )


def _axis(fig, panel: Coverage, values: list, row: int, col: int) -> None:
    if panel.scale == "category":  # every declared value gets its column, drawn or not, with its count
        fig.update_xaxes(
            type="category",
            categoryorder="array",
            categoryarray=panel.categories,
            range=[-0.5, len(panel.categories) - 0.5],
            tickvals=panel.categories,
            ticktext=[f"{c} ({panel.counts.get(c, 0)})" for c in panel.categories],
            row=row,
            col=col,
        )
        return
    fig.update_xaxes(
        type=panel.scale, row=row, col=col, **({"exponentformat": "power"} if panel.scale == "log" else {})
    )
    if panel.band is None:
        return
    lo, hi = panel.band
    if panel.kind == "randint":  # integers: each value's column inside the band, not on its edge
        lo, hi = lo - 0.5, hi + 0.5
        if hi - lo <= 21:
            fig.update_xaxes(dtick=1, row=row, col=col)
    if panel.scale == "log":  # a log axis's autorange leaves shapes out: the band and every sample in view
        logs = [math.log10(v) for v in (lo, hi, *values) if _is_number(v) and v > 0]
        pad = 0.05 * (max(logs) - min(logs)) or 0.5
        fig.update_xaxes(range=[min(logs) - pad, max(logs) + pad], row=row, col=col)
    fig.add_vrect(x0=lo, x1=hi, fillcolor="#2a9d8f", opacity=0.1, line_width=0, layer="below", row=row, col=col)
    for x in panel.grid:
        fig.add_vline(x=x, line={"color": "#999", "width": 0.5, "dash": "dot"}, layer="below", row=row, col=col)


def ecdf(summaries: list[SweepSummary]):
    """Each sweep's empirical distribution of its trials' final primary-metric value: one step line per sweep."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for summary in summaries:
        values = sorted(t.final for t in summary.ended_trials if usable(t.final))
        n = len(values)
        fig.add_trace(
            go.Scatter(
                x=values,
                y=[(i + 1) / n for i in range(n)],
                mode="lines+markers",
                line_shape="hv",
                marker={"size": 4},
                name=f"{esc(summary.name)} ({n} trials)",
                hovertemplate="%{x:.6g}: %{y:.0%} of trials at or below<extra></extra>",
            )
        )
    fig.update_layout(
        height=400,
        xaxis_title=f"final {summaries[0].primary_metric} of an ended trial",
        yaxis={"title": "share of trials at or below", "tickformat": ".0%", "range": [0, 1.03]},
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    return fig
