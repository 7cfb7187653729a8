"""The report's charts, as plotly figures built from ``SweepSummary`` data (``report.py`` lays them out).

Every chart shows every trial (no 10-run default): a trial with no value of the primary metric (failed early, or
logging another name) still gets its line in the parallel coordinates, on the metric axis's "none" tick, in grey.
"""

from __future__ import annotations

import html
import math
from typing import Any

from ..monitor.importance import Importances
from ..monitor.record import SweepSummary, TrialRecord, usable

STATUS_COLOUR = {
    "completed": "#2a9d8f",
    "canceled": "#e9a23b",
    "failed": "#d1495b",
    "running": "#457b9d",
    "queued": "#8d99ae",
}
GREY = "#b8b8b8"
LOG_TYPES = ("loguniform", "qloguniform", "lognormal", "qlognormal")
CONFIG = {"displaylogo": False, "responsive": True}


def esc(text: Any) -> str:
    """Text for plotly's hover labels, which read a subset of HTML: '<' in a cancel reason must stay a '<'."""
    return html.escape(str(text), quote=False)


def _is_log(summary: SweepSummary, name: str) -> bool:
    declared = (summary.search_space or {}).get(name)
    return isinstance(declared, dict) and declared.get("type") in LOG_TYPES


def _numeric(values: list) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def _label(value: Any) -> str:
    return "(none)" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _declared_choice(summary: SweepSummary, name: str) -> list | None:
    """The values a ``choice`` parameter declares, as the sweep recorded its space; None for any other parameter."""
    declared = (summary.search_space or {}).get(name)
    if isinstance(declared, dict) and declared.get("type") == "choice" and isinstance(declared.get("values"), list):
        return declared["values"]
    return None


def choice_levels(summary: SweepSummary, name: str, trials: list[TrialRecord]) -> list[str] | None:
    """A categorical parameter's levels, as labels, in order (numbers ascending, then text): every value a ``choice``
    declares (sampled or not) and every value a trial took; None for a numeric parameter that is not a choice."""
    values = [t.params.get(name) for t in trials]
    declared = _declared_choice(summary, name)
    if declared is None and _numeric(values):
        return None
    labels = {_label(v) for v in [*(declared or []), *values]}
    return sorted(labels, key=lambda s: (_sort_key(s), s))


def _axis(summary: SweepSummary, name: str, trials: list[TrialRecord]) -> dict:
    """A parameter's axis: a choice (numbers too) one evenly spaced tick per value; a log-scaled one on decades."""
    values = [t.params.get(name) for t in trials]
    levels = choice_levels(summary, name, trials)
    if levels is None:
        if _is_log(summary, name) and all(v > 0 for v in values):
            return _log_axis(name, values)
        return {"label": name, "values": values, **_range(values)}
    index = {level: i for i, level in enumerate(levels)}
    return {
        "label": name,
        "values": [index[_label(v)] for v in values],
        "tickvals": list(range(len(levels))),
        "ticktext": levels,
        "range": [-0.5, len(levels) - 0.5],
    }


def _log_axis(name: str, values: list[float]) -> dict:
    """A log-scaled parameter on a log axis: parcoords has none, so its log10 with ticks at the decades' values."""
    logs = [math.log10(v) for v in values]
    lo, hi = math.floor(min(logs)), math.ceil(max(logs))
    if lo == hi:
        hi += 1
    decades = list(range(lo, hi + 1))
    return {
        "label": name,
        "values": logs,
        "range": [lo, hi],
        "tickvals": decades,
        "ticktext": [f"{10.0**d:g}" for d in decades],
    }


def _sort_key(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.inf


def _range(values: list[float]) -> dict:
    lo, hi = min(values), max(values)
    if lo == hi:  # one trial, or a constant: give the axis some height
        pad = abs(lo) * 0.1 or 1.0
        return {"range": [lo - pad, hi + pad]}
    return {}


def parallel_coordinates(summary: SweepSummary):
    """One line per trial across its parameters and its best primary-metric value, coloured by that value (a colour
    bar says so); a trial without a value sits on the metric axis's "none" tick, in grey, a tick drawn only then."""
    import plotly.graph_objects as go

    trials = summary.by_index()
    dims = [_axis(summary, n, trials) for n in summary.parameter_names]
    found = metric_axis(summary, trials)
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": found["values"],
                "colorscale": found.pop("colorscale"),
                "cmin": found["range"][0],
                "cmax": found["range"][1],
                "showscale": True,
                "colorbar": {
                    "title": {"text": found.pop("legend"), "side": "right"},
                    "tickvals": found["tickvals"],
                    "ticktext": found["ticktext"],
                    "thickness": 14,
                    "len": 0.9,
                },
            },
            dimensions=[*dims, found],
        )
    )
    fig.update_layout(height=460, margin={"l": 80, "r": 110, "t": 60, "b": 30})
    return fig


def metric_axis(summary: SweepSummary, trials: list[TrialRecord]) -> dict:
    """The primary metric's axis of the parallel coordinates, with the colour scale its lines use and the colour
    bar's title. Viridis runs from purple to yellow, yellow always the better end (reversed to minimize)."""
    from plotly.colors import sequential

    metric = summary.primary_metric
    good = [t.best for t in trials if usable(t.best)]
    missing = len(good) < len(trials)
    lo, hi = (min(good), max(good)) if good else (0.0, 1.0)
    span = (hi - lo) or (abs(hi) * 0.1 or 1.0)
    none = lo - 0.15 * span  # trials without a value sit on their own tick below the axis's values
    ticks = [lo + span * f for f in (0, 0.25, 0.5, 0.75, 1)] if good else []
    bottom = none if missing else lo
    cmin, cmax = bottom - 0.05 * span, max(hi, lo + span) + 0.05 * span
    scale = list(sequential.Viridis if summary.goal == "maximize" else reversed(sequential.Viridis))
    start = (lo - cmin) / (cmax - cmin) if missing else 0.0  # below this: the "none" trials, grey
    colorscale = [[0.0, GREY], [start * 0.9, GREY]] if missing else []
    colorscale += [[start + (1 - start) * i / (len(scale) - 1), c] for i, c in enumerate(scale)]
    better = "higher" if summary.goal == "maximize" else "lower"
    return {
        "label": f"best {metric}",
        "values": [t.best if usable(t.best) else none for t in trials],
        "range": [cmin, cmax],
        "tickvals": [none, *ticks] if missing else ticks,
        "ticktext": (["none"] if missing else []) + [f"{v:.4g}" for v in ticks],
        "colorscale": colorscale,
        "legend": f"colour: best {metric}<br>({summary.goal}: {better} is better,<br>yellow is best"
        + ("; grey: no value)" if missing else ")"),
    }


def curves(summary: SweepSummary):
    """Every trial's primary metric over its steps; where a canceled or failed trial stopped, a marker says why."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for status in ("completed", "canceled", "failed", "running"):
        xs: list = []
        ys: list = []
        texts: list = []
        sizes: list = []  # a trial that logged one value is a line of one point, which plotly draws as nothing: a dot
        for t in summary.by_index():
            if t.status != status or not t.history:
                continue
            for p in t.history:
                xs.append(p.step)
                ys.append(p.value if math.isfinite(p.value) else None)
                texts.append(f"{esc(t.name)}<br>step {p.step}: {p.value:.6g}")
                sizes.append(6 if len(t.history) == 1 else 0)
            xs.append(None)
            ys.append(None)
            texts.append("")
            sizes.append(0)
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=status,
                    line={"color": STATUS_COLOUR[status], "width": 1},
                    marker={"size": sizes, "color": STATUS_COLOUR[status]},
                    opacity=0.7,
                    hovertext=texts,
                    hoverinfo="text",
                )
            )
    _stop_markers(go, fig, summary)
    fig.update_layout(
        height=420,
        xaxis_title="step",
        yaxis_title=summary.primary_metric,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def _stop_markers(go, fig, summary: SweepSummary) -> None:
    """A trial the policy canceled: an x on the value it judged (the step its reason's interval names), and a ring
    where its line ends (values logged while the cancel landed). Any other stop: an x where the line ends."""
    judged = {t.name: j for t in summary.by_index() if (j := summary.judged(t)) is not None}
    stops = [t for t in summary.by_index() if t.status in ("canceled", "failed") and t.history]
    cut = [t for t in stops if t.name in judged]
    other = [t for t in stops if t.name not in judged]

    def y(value: float) -> float | None:
        return value if math.isfinite(value) else None

    def add(trials, point, name, symbol, hover) -> None:
        if trials:
            fig.add_trace(
                go.Scatter(
                    x=[point(t).step for t in trials],
                    y=[y(point(t).value) for t in trials],
                    mode="markers",
                    name=name,
                    marker={"symbol": symbol, "size": 9, "color": [STATUS_COLOUR[t.status] for t in trials]},
                    hovertext=[hover(t) for t in trials],
                    hoverinfo="text",
                )
            )

    add(
        cut,
        lambda t: judged[t.name].point,
        "canceled: judged here",
        "x",
        lambda t: f"{esc(t.name)} judged at step {judged[t.name].point.step}<br>{esc(_why(t))}",
    )
    add(
        cut,
        lambda t: t.history[-1],
        "canceled: stopped here",
        "circle-open",
        lambda t: (
            f"{esc(t.name)} stopped at step {t.history[-1].step}, "
            f"{len(t.history) - judged[t.name].interval} value(s) after the one judged"
        ),
    )
    add(other, lambda t: t.history[-1], "stopped here", "x", lambda t: f"{esc(t.name)} {t.status}<br>{esc(_why(t))}")


def _why(t: TrialRecord) -> str:
    if t.status == "failed":
        return f"exit code {t.exit_code}" if t.exit_code is not None else "failed"
    return t.cancel_reason or "canceled"


def parameter_scatter(summary: SweepSummary):
    """The best primary-metric value against each parameter, one panel per parameter, coloured by status."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = summary.parameter_names or ["(no parameters)"]
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.08, vertical_spacing=0.16)
    trials = [t for t in summary.by_index() if usable(t.best)]
    levels = {name: choice_levels(summary, name, summary.by_index()) for name in names}
    shown: set[str] = set()
    for i, name in enumerate(names):
        row, col = divmod(i, cols)
        for status in STATUS_COLOUR:
            group = [t for t in trials if t.status == status]
            if not group:
                continue
            xs = [t.params.get(name) for t in group]
            fig.add_trace(
                go.Scatter(
                    x=[_label(x) if levels[name] is not None or not isinstance(x, (int, float)) else x for x in xs],
                    y=[t.best for t in group],
                    mode="markers",
                    name=status,
                    legendgroup=status,
                    showlegend=status not in shown,
                    marker={"color": STATUS_COLOUR[status], "size": 6, "opacity": 0.75},
                    hovertext=[
                        f"{esc(t.name)}<br>{esc(name)} = {esc(_label(x))}<br>{t.best:.6g}"
                        for t, x in zip(group, xs, strict=True)
                    ],
                    hoverinfo="text",
                ),
                row=row + 1,
                col=col + 1,
            )
            shown.add(status)
        if levels[name] is not None:  # a choice (numbers too): categories, in the parallel coordinates' order
            fig.update_xaxes(
                type="category", categoryorder="array", categoryarray=levels[name], row=row + 1, col=col + 1
            )
        elif _is_log(summary, name):
            fig.update_xaxes(type="log", exponentformat="power", row=row + 1, col=col + 1)
    fig.update_yaxes(title_text=summary.primary_metric, col=1)
    clear_titles(fig)
    fig.update_layout(height=300 * rows + 60, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return fig


def clear_titles(fig) -> None:
    """Lift the subplot titles off their panels: a title sits on the panel's top edge, where the descender of a
    ``_`` (``val_log_loss``) would touch or hide behind the panel."""
    fig.update_annotations(yshift=6)


def importance_chart(found: Importances):
    import plotly.graph_objects as go

    ranked = list(reversed(found.ranked))  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[i.importance for i in ranked],
            y=[i.parameter for i in ranked],
            orientation="h",
            error_x={"type": "data", "array": [i.spread for i in ranked]},
            marker={"color": "#457b9d"},
        )
    )
    fig.update_layout(
        height=120 + 40 * len(ranked),
        xaxis_title="importance (drop in R²)",
        margin={"l": 140, "r": 20, "t": 20, "b": 50},
    )
    fig.update_yaxes(ticks="outside", ticklen=8, tickcolor="rgba(0,0,0,0)")  # names clear of a bar's error whisker
    return fig


def best_so_far(summaries: list[SweepSummary], by: str):
    """Each sweep's best-so-far value against trial number (``by="trial"``) or trial-seconds spent (``"seconds"``)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for summary in summaries:
        xs, ys = _best_so_far(summary, by)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines+markers", line_shape="hv", name=esc(summary.name), marker={"size": 4})
        )
    metric = summaries[0].primary_metric
    fig.update_layout(
        height=400,
        xaxis_title="trial number"
        if by == "trial"
        else "trial-seconds spent (all trials' run time, summed, in the order they ended)",
        yaxis_title=f"best {metric} so far",
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    return fig


def _best_so_far(summary: SweepSummary, by: str) -> tuple[list, list]:
    from ..spec.objective import better

    if by == "trial":
        order = summary.by_index()
    else:
        order = sorted(summary.ended_trials, key=lambda t: (t.ended or math.inf, t.index or 0))
    xs, ys, best, spent = [], [], None, 0.0
    for n, t in enumerate(order, 1):
        spent += t.duration or 0.0
        if usable(t.best) and better(t.best, best, summary.goal):
            best = t.best
        if best is not None:
            xs.append(n if by == "trial" else round(spent, 3))
            ys.append(best)
    return xs, ys
