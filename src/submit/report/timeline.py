"""The report's timeline of one sweep: one bar per trial from its start to its end, on a time axis.

Bars sit in lanes: a trial takes the first lane free when it starts, so the number of lanes in use at a moment is the
number of trials running then, and a gap in a lane is an idle slot (optuna #4470 asks the timeline for stragglers and
idle workers). Below the bars, the running count as a step line against ``max_concurrent_trials``. Bars are coloured
by the trial's final state; a marker says why on hover: for a trial the policy canceled, at the time it logged the
value judged (the bar runs on to where it stopped), for any other cancel or failure, at its end. A trial
still running ends at the newest time the store knows of (its latest value, or the latest end of any trial).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..monitor.record import SweepSummary, TrialRecord
from .charts import STATUS_COLOUR, _label, _why, esc

LANE_PX = 22  # height of one lane; many lanes make a taller chart, never bars thinner than a few pixels
MIN_BAR_SHARE = 0.004  # a trial that ended within the same second still shows: a bar at least this share of the span


@dataclass(frozen=True)
class Bar:
    trial: TrialRecord
    start: float  # seconds since the timeline's origin
    end: float
    lane: int  # 1-based


@dataclass(frozen=True)
class Timeline:
    origin: float | None  # epoch seconds of the earliest start; None when no trial has started
    bars: list[Bar]
    not_started: list[TrialRecord]  # queued, or with no start time recorded

    @property
    def lanes(self) -> int:
        return max((b.lane for b in self.bars), default=0)

    @property
    def span(self) -> float:
        return max((b.end for b in self.bars), default=0.0)


def layout_timeline(summary: SweepSummary) -> Timeline:
    """Every trial's bar: its offsets from the first start and its lane (the first free when it started)."""
    started = [t for t in summary.by_index() if t.started is not None]
    not_started = [t for t in summary.by_index() if t.started is None]
    if not started:
        return Timeline(None, [], not_started)
    origin = min(t.started for t in started)
    now = _newest(summary)
    bars: list[Bar] = []
    free_at: list[float] = []  # per lane: when its last trial ended
    for t in sorted(started, key=lambda t: (t.started, t.index or 0)):
        end = t.ended if t.ended is not None else max(now, t.started)
        lane = next((i for i, f in enumerate(free_at) if f <= t.started), len(free_at))
        if lane == len(free_at):
            free_at.append(end)
        free_at[lane] = max(end, t.started)
        bars.append(Bar(t, t.started - origin, end - origin, lane + 1))
    return Timeline(origin, bars, not_started)


def _newest(summary: SweepSummary) -> float:
    stamps = [x for t in summary.trials for x in (t.started, t.ended) if x is not None]
    stamps += [p.timestamp for t in summary.trials for p in t.history[-1:]]
    if summary.ended is not None:
        stamps.append(summary.ended)
    return max(stamps)


def running_count(bars: list[Bar]) -> tuple[list[float], list[int]]:
    """The number of trials running over time, as the points of a step line (a trial's end before a start at the
    same moment: a slot handed on is not two trials at once)."""
    events = sorted([(b.start, 1) for b in bars] + [(b.end, -1) for b in bars], key=lambda e: (e[0], e[1]))
    xs, ys, running = [0.0], [0], 0
    for at, change in events:
        running += change
        if xs[-1] == at:
            ys[-1] = running
        else:
            xs.append(at)
            ys.append(running)
    return xs, ys


def concurrency_sentence(summary: SweepSummary, found: Timeline) -> str | None:
    """Why fewer trials ran at once than the spec's ``max_concurrent_trials`` (the line the chart draws), in words;
    None when as many ran as the spec allows, or the record has no limit."""
    cap = summary.concurrency_cap
    if cap is None:
        return None
    at_once = summary.concurrency
    if summary.capped:
        return (
            f"The spec allows {cap} trials at once (max_concurrent_trials {cap}, the dashed line); the emulator "
            f"ran at most {at_once} at a time: {summary.concurrency_note}. On Azure the sweep would run up to {cap} "
            "at once."
        )
    peak = max(running_count(found.bars)[1], default=0)
    fewer = 0 < peak < min(cap, len(found.bars))  # not merely fewer trials than the limit
    if at_once is None and summary.where == "local" and fewer and summary.status != "running":
        return (
            f"At most {peak} trial(s) ran at once, fewer than max_concurrent_trials {cap}; this sweep's store does not "
            "record why (the emulator caps the trials at once to this machine's cores, or to --max-concurrent)."
        )
    return None


def _unit(span: float) -> tuple[str, float]:
    if span < 180:
        return "s", 1.0
    if span < 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


def timeline_chart(summary: SweepSummary, found: Timeline | None = None):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    found = found or layout_timeline(summary)
    unit, per = _unit(found.span)
    lanes = max(found.lanes, 1)
    bars_px, count_px, gap_px = max(120, LANE_PX * lanes + 30), 90, 36  # the count panel keeps room for its ticks
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[bars_px, count_px],
        vertical_spacing=gap_px / (bars_px + count_px + gap_px),
    )
    least = max(found.span, 1.0) * MIN_BAR_SHARE
    for status, colour in STATUS_COLOUR.items():
        group = [b for b in found.bars if b.trial.status == status]
        if group:
            fig.add_trace(_bars(go, group, status, colour, summary, found, per, least), row=1, col=1)
    _stop_markers(go, fig, summary, found, per)
    _running_trace(go, fig, summary, found, per)
    fig.update_yaxes(title_text="slot", autorange="reversed", row=1, col=1)
    if lanes <= 24:
        fig.update_yaxes(tickmode="array", tickvals=list(range(1, lanes + 1)), row=1, col=1)
    top = max([*running_count(found.bars)[1], summary.concurrency_cap or 0, 1])
    fig.update_yaxes(title_text="running", range=[0, top * 1.2], nticks=4, row=2, col=1)
    fig.update_xaxes(title_text=f"time since the first trial started ({unit})", rangemode="tozero", row=2, col=1)
    fig.update_layout(
        height=bars_px + count_px + gap_px + 110,
        barmode="overlay",
        bargap=0.25,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        uniformtext={"minsize": 9, "mode": "hide"},
    )
    return fig


def _stop_markers(go, fig, summary: SweepSummary, found: Timeline, per: float) -> None:
    """A trial the policy canceled: an x at the time it logged the value judged (its bar's end is where it stopped).
    Any other cancel or failure: an x at its bar's end."""
    judged = {b.trial.name: j for b in found.bars if (j := summary.judged(b.trial)) is not None}
    stops = [b for b in found.bars if b.trial.status in ("canceled", "failed")]
    for name, group, at, hover in (
        (
            "canceled: judged here (hover: why)",
            [b for b in stops if b.trial.name in judged],
            lambda b: judged[b.trial.name].point.timestamp - found.origin,
            lambda b: (
                f"{esc(b.trial.name)} judged at step {judged[b.trial.name].point.step}, "
                f"stopped {b.end - (judged[b.trial.name].point.timestamp - found.origin):.1f} s later<br>{esc(_why(b.trial))}"
            ),
        ),
        (
            "stopped here (hover: why)",
            [b for b in stops if b.trial.name not in judged],
            lambda b: b.end,
            lambda b: f"{esc(b.trial.name)} {b.trial.status}<br>{esc(_why(b.trial))}",
        ),
    ):
        if group:
            fig.add_trace(
                go.Scatter(
                    x=[at(b) / per for b in group],
                    y=[b.lane for b in group],
                    mode="markers",
                    name=name,
                    marker={"symbol": "x", "size": 8, "color": "#333"},
                    hovertext=[hover(b) for b in group],
                    hoverinfo="text",
                ),
                row=1,
                col=1,
            )


def _bars(go, group: list[Bar], status: str, colour: str, summary: SweepSummary, found: Timeline, per, least):
    return go.Bar(
        orientation="h",
        base=[b.start / per for b in group],
        x=[max(b.end - b.start, least) / per for b in group],
        y=[b.lane for b in group],
        name=status,
        marker={"color": colour, "line": {"width": 0.5, "color": "white"}},  # one trial ends, the next begins
        # the trial's number on its bar while bars are wide enough; past that, numbers come out scattered and turned
        text=[str(b.trial.index) if b.trial.index is not None and len(found.bars) <= 60 else "" for b in group],
        textposition="inside",
        insidetextanchor="middle",
        textangle=0,
        hovertext=[_hover(b, summary, found.origin) for b in group],
        hoverinfo="text",
    )


def _hover(b: Bar, summary: SweepSummary, origin: float) -> str:
    t = b.trial
    clock = time.strftime("%H:%M:%S", time.localtime(origin + b.start))
    ran = "still running" if t.ended is None else f"ran {b.end - b.start:.1f} s"
    lines = [f"<b>{esc(t.name)}</b> {t.status}", f"started {clock} (+{b.start:.1f} s), {ran}"]
    if t.best is not None and math.isfinite(t.best):
        lines.append(f"{esc(summary.primary_metric)}: best {t.best:.6g}, final {t.final:.6g}")
    lines += [f"{esc(k)} = {esc(_label(v))}" for k, v in list(t.params.items())[:8]]
    if t.status in ("canceled", "failed"):
        lines.append(esc(_why(t)))
    return "<br>".join(lines)


def _running_trace(go, fig, summary: SweepSummary, found: Timeline, per: float) -> None:
    xs, ys = running_count(found.bars)
    fig.add_trace(
        go.Scatter(
            x=[x / per for x in xs],
            y=ys,
            mode="lines",
            line_shape="hv",
            line={"color": "#555", "width": 1.5},
            fill="tozeroy",
            fillcolor="rgba(85,85,85,0.15)",
            name="trials at once",
            hovertemplate="%{y} running<extra></extra>",
        ),
        row=2,
        col=1,
    )
    cap = summary.concurrency_cap
    if cap:
        fig.add_trace(
            go.Scatter(
                x=[0, found.span / per],
                y=[cap, cap],
                mode="lines",
                line={"color": "#888", "dash": "dash", "width": 1},
                name=f"max_concurrent_trials {cap}",
                hoverinfo="name",
            ),
            row=2,
            col=1,
        )
    at_once = summary.concurrency
    if summary.capped:  # what the emulator ran at once here, and the reason on hover
        fig.add_trace(
            go.Scatter(
                x=[0, found.span / per],
                y=[at_once, at_once],
                mode="lines",
                line={"color": "#c1121f", "dash": "dot", "width": 1.5},
                name=f"{at_once} at once here (capped)",
                hovertext=esc(summary.concurrency_note),
                hoverinfo="text",
            ),
            row=2,
            col=1,
        )
