"""The HTML report of one or more sweeps: one self-contained file that opens offline (plotly's script inlined).

For each sweep: its state and counts, the best trial, compute used and saved, the leaderboard (every trial), the
parallel coordinates, the timeline of its trials (``timeline.py``), every trial's curve with where and why
canceled trials stopped, the parameter-against-metric scatter plots, the coverage of the declared space
(``coverage.py``) and the parameters ranked by importance (``monitor/importance.py`` says how). Given several
sweeps, first their comparison: best-so-far against trial number beside each sweep's distribution (ECDF) of final
values, and best-so-far against trial-seconds, all sweeps on one chart each.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass
from pathlib import Path

from ..monitor.importance import importance_cautions, parameter_importance
from ..monitor.record import MonitorInputError, SweepSummary, usable
from . import charts, coverage, timeline


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    bytes: int
    sweeps: list[str]

    def to_dict(self) -> dict:
        return {"path": str(self.path), "bytes": self.bytes, "sweeps": self.sweeps}


def check_report_path(path: str | Path) -> Path:
    """Refuse a report path whose folder is missing (before any sweep is read), or that names a folder."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise _bad(f"-o {path}: is a folder; give a file name, e.g. -o {Path(path) / 'report.html'}")
    if not target.parent.is_dir():
        raise _bad(
            f"-o {path}: the folder {target.parent} does not exist\n  hint: create it first (mkdir -p {target.parent})"
        )
    return target


def _bad(message: str) -> MonitorInputError:
    return MonitorInputError(message)


def write_report(summaries: list[SweepSummary], path: str | Path, *, now=time.time, pipelines=()) -> WrittenReport:
    """The report of ``summaries``; each of ``pipelines`` (``monitor.pipeline_record.PipelineSummary``, whose sweep steps
    are among ``summaries``) adds a small table of its steps."""
    target = check_report_path(path)
    if not summaries:
        raise _bad("no sweep to report on: give one or more sweep IDs (a pipeline's sweep step must have started)")
    text = render_report(summaries, generated=now(), pipelines=pipelines)
    target.write_text(text, encoding="utf-8")
    return WrittenReport(target, len(text.encode()), [s.name for s in summaries])


def render_report(summaries: list[SweepSummary], generated: float | None = None, pipelines=()) -> str:
    from plotly.offline import get_plotlyjs

    title = "sweep report: " + ", ".join(s.name for s in summaries)
    body: list[str] = [f"<h1>{_e(title)}</h1>"]
    if generated is not None:
        body.append(f'<p class="muted">generated {time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(generated))}</p>')
    body += [_pipeline_section(p) for p in pipelines]
    if len(summaries) > 1:
        body.append(_comparison(summaries))
    for i, summary in enumerate(summaries):
        body.append(_sweep_section(summary, i))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body>{''.join(body)}</body></html>\n"
    )


def _pipeline_section(p) -> str:
    """A pipeline's steps: state, time, what each takes, and a sweep step's sweep (drawn below as any sweep)."""
    rows = "".join(
        f"<tr><td>{_e(s.name)}</td><td>{_e(s.type)}</td><td>{_e(s.status)}</td>"
        f"<td>{'—' if s.duration is None else f'{s.duration:.1f} s'}</td><td>{_e(', '.join(s.after) or '—')}</td>"
        f"<td>{_e(s.sweep.name if s.sweep is not None else (s.reason or ''))}</td></tr>"
        for s in p.steps.values()
    )
    return (
        f'<section><h2>pipeline {_e(p.name)} <span class="muted">({_e(p.where)}, {_e(p.status)})</span></h2>'
        "<table><tr><th>step</th><th>type</th><th>state</th><th>time</th><th>after</th><th>sweep / reason</th></tr>"
        f"{rows}</table></section>"
    )


def _figure(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=charts.CONFIG)


def _comparison(summaries: list[SweepSummary]) -> str:
    parts = ["<section><h2>comparison</h2>"]
    objectives = {(s.primary_metric, s.goal) for s in summaries}
    if len(objectives) > 1:
        shown = ", ".join(f"{s.name}: {s.goal} {s.primary_metric}" for s in summaries)
        parts.append(f'<p class="warn">the sweeps do not share one objective ({_e(shown)}): compare with care</p>')
    rows = "".join(
        f"<tr><td>{_e(s.name)}</td><td>{_e(s.where)}</td><td>{_e(s.status)}</td><td>{len(s.trials)}</td>"
        f"<td>{_num(s.best.best) if s.best else '—'}</td><td>{_e(s.sampling or '—')}</td><td>{_e(s.policy or 'none')}</td>"
        f"<td>{_seconds(s.trial_seconds)}</td></tr>"
        for s in summaries
    )
    parts.append(
        "<table><tr><th>sweep</th><th>where</th><th>status</th><th>trials</th><th>best</th><th>sampling</th>"
        f"<th>policy</th><th>trial-seconds</th></tr>{rows}</table>"
    )
    parts.append('<div class="pair"><div><h3>best so far, by trial number</h3>')
    parts.append(_figure(charts.best_so_far(summaries, "trial"), "compare-trials"))
    parts.append(f"</div><div><h3>distribution of the final {_e(summaries[0].primary_metric)}, per sweep</h3>")
    parts.append(_figure(coverage.ecdf(summaries), "compare-ecdf") + "</div></div>")
    better = "further right is better" if summaries[0].goal == "maximize" else "further left is better"
    parts.append(
        '<p class="muted">right: each sweep\'s share of its ended trials whose final value is at or below x '
        f"({better}); canceled trials count with the value they were stopped at.</p>"
    )
    parts.append("<h3>best so far, by trial-seconds spent</h3>")
    parts.append(_figure(charts.best_so_far(summaries, "seconds"), "compare-seconds"))
    return "".join(parts) + "</section>"


def _sweep_section(s: SweepSummary, i: int) -> str:
    parts = [f'<section id="sweep-{i}"><h2>{_e(s.name)} <span class="status {_e(s.status)}">{_e(s.status)}</span></h2>']
    parts.append(_facts(s))
    parts.append("<h3>leaderboard</h3>" + _leaderboard(s))
    if not s.trials:
        return "".join(parts) + "<p>no trials yet</p></section>"
    parts.append("<h3>parallel coordinates</h3>")
    parts.append(f'<p class="muted">{_e(_parcoords_note(s))}</p>')
    parts.append(_figure(charts.parallel_coordinates(s), f"parcoords-{i}"))
    parts.append(_timeline_section(s, i))
    parts.append(f"<h3>{_e(s.primary_metric)} over each trial's steps</h3>")
    parts.append(
        '<p class="muted">× marks the value the policy judged when it canceled a trial (○: where its line stopped), '
        "or where a trial that failed or was canceled otherwise stopped; hover for the reason.</p>"
    )
    parts.append(_figure(charts.curves(s), f"curves-{i}"))
    parts.append(f"<h3>parameters against {_e(s.primary_metric)}</h3>")
    parts.append(_figure(charts.parameter_scatter(s), f"scatter-{i}"))
    parts.append(_coverage_section(s, i))
    parts.append("<h3>parameter importance</h3>")
    found = parameter_importance(s)
    parts.append(f'<p class="muted">method: {_e(found.method)}, on {found.trials_used} trial(s).</p>')
    if found.ranked:
        parts.append(_figure(charts.importance_chart(found), f"importance-{i}"))
        notes = "".join(f"<li>{_e(note)}</li>" for note in importance_cautions(found))
        if notes:
            parts.append(f'<ul class="warn notes caution">{notes}</ul>')
    else:
        parts.append(f"<p>no ranking: {_e(found.reason)}</p>")
    return "".join(parts) + "</section>"


def _parcoords_note(s: SweepSummary) -> str:
    """What the parallel coordinates show, the colour first; the "none" tick only when some trial has no value."""
    better = "higher" if s.goal == "maximize" else "lower"
    text = (
        f"one line per trial; its colour is its best {s.primary_metric} (the colour bar on the right: yellow is "
        f"best, purple worst; {s.goal}: {better} is better)"
    )
    missing = sum(not usable(t.best) for t in s.trials)
    if missing:
        text += (
            f"; {missing} trial(s) without a value of {s.primary_metric} sit on the metric axis's “none” tick, in grey"
        )
    return text + ". A choice is one tick per value, evenly spaced. Drag along an axis to select."


def _timeline_section(s: SweepSummary, i: int) -> str:
    found = timeline.layout_timeline(s)
    parts = ["<h3>timeline</h3>"]
    waiting = len(found.not_started)
    if not found.bars:
        return "".join(parts) + f"<p>no trial has started yet ({waiting} queued or without a start time)</p>"
    not_drawn = f"; {waiting} trial(s) queued or without a start time are not drawn" if waiting else ""
    parts.append(
        '<p class="muted">one bar per trial, from its start to its end, in the first slot free when it started: '
        "how many ran at once, and where a slot stood idle; × marks when the policy judged a trial it canceled (its bar "
        "ends where it stopped), or a failed or otherwise canceled trial's end; hover for why"
        f"{_e(not_drawn)}.</p>"
    )
    at_once = timeline.concurrency_sentence(s, found)
    if at_once:
        parts.append(f'<p class="note concurrency">{_e(at_once)}</p>')
    return "".join(parts) + _figure(timeline.timeline_chart(s, found), f"timeline-{i}")


def _coverage_section(s: SweepSummary, i: int) -> str:
    panels = coverage.coverage_of(s)
    parts = ["<h3>coverage of the search space</h3>"]
    recorded = "as the sweep recorded it" if s.search_space else "none was recorded with the sweep: samples only"
    parts.append(
        '<p class="muted">each trial\'s sampled value (x) by trial number (y); the shaded band is the declared range '
        f"({_e(recorded)}), dotted lines a q-grid, every declared choice a column.</p>"
    )
    notes = [f"<li>{_e(note)}</li>" for p in panels for note in p.notes]
    if notes:
        parts.append(f'<ul class="warn notes">{"".join(notes)}</ul>')
    return "".join(parts) + _figure(coverage.coverage_chart(s, panels), f"coverage-{i}")


def _facts(s: SweepSummary) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in s.counts.items() if n) or "no trials"
    total = s.total_trials
    rows = [
        ("where", f"{s.where}: {s.location}"),
        ("objective", f"{s.goal} {s.primary_metric}"),
        ("trials", counts + (f" (of max_total_trials {total})" if total else "")),
        ("sampling", s.sampling or "—"),
        ("policy", s.policy or "none"),
    ]
    best = s.best
    if best is not None:
        params = ", ".join(f"{k}={_label(v)}" for k, v in s.params_of(best).items())
        rows.append(("best trial", f"{best.name}: {s.primary_metric} = {_num(best.best)} ({params})"))
    else:
        rows.append(("best trial", f"none: no trial logged a usable value of {s.primary_metric}"))
    if s.savings is not None:
        rows += s.savings.rows()
    else:
        rows.append(("compute", f"{_seconds(s.trial_seconds)} trial-seconds run"))
    if s.url:
        rows.append(("studio", f'<a href="{_e(s.url)}">{_e(s.url)}</a>'))
    elif s.ui_command:
        rows.append(("MLflow UI", f"<code>{_e(s.ui_command)}</code>"))
    rows += [("warning", w) for w in s.warnings]
    from ..monitor.health import flags as health_flags

    found = health_flags(s)  # the health flags of `sweep status`, each with the trials it concerns
    rows += [(f"flag {f.kind}", f.message + (f" [{', '.join(f.trials)}]" if f.trials else "")) for f in found]
    rows += [] if found else [("health", "no flags")]
    cells = "".join(
        f"<tr><th>{_e(k)}</th><td>{v if k == 'studio' or k == 'MLflow UI' else _e(v)}</td></tr>" for k, v in rows
    )
    return f'<table class="facts">{cells}</table>'


def _leaderboard(s: SweepSummary) -> str:
    ranked = s.leaderboard()
    rest = [t for t in s.by_index() if not usable(t.best)]
    names = s.parameter_names
    head = "".join(
        f"<th>{_e(n)}</th>"
        for n in [
            "#",
            "trial",
            "status",
            f"best {s.primary_metric}",
            "final",
            *names,
            "duration",
            "why it ended / note",
        ]
    )
    rows = []
    for rank, t in enumerate([*ranked, *rest], 1):
        why = t.cancel_reason or _exit(t) or (t.note or "")
        cells = [
            str(rank) if usable(t.best) else "—",
            _e(t.name),
            f'<span class="status {_e(t.status)}">{_e(t.status)}</span>',
            _num(t.best),
            _num(t.final),
            *(_e(_label(t.params.get(n))) for n in names),
            _seconds(t.duration),
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f'<td class="why">{_e(why)}</td></tr>')
    # every row, at its full height: no scrolling box that hides the last rows or cuts the last column
    return f'<table class="board"><tr>{head}</tr>{"".join(rows)}</table>'


def _exit(t) -> str:
    """A trial's exit code when it says something: a completed trial exited 0, which its status already says."""
    if t.exit_code is None or (t.status == "completed" and t.exit_code == 0):
        return ""
    return f"exit code {t.exit_code}"


def _label(value) -> str:
    return charts._label(value)


def _num(value) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)  # nan, inf: shown as they are, never ranked
    return f"{value:.6g}"


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _e(text) -> str:
    return html.escape(str(text))


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1320px;color:#222}
h1{font-size:22px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}h3{font-size:15px;margin:22px 0 6px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
table.facts th{color:#555;font-weight:600;width:110px}table.facts td{white-space:normal}
table.board th{background:#f6f6f6}table.board td.why{white-space:normal;min-width:16em;overflow-wrap:anywhere}
p.note{font-size:13px;color:#7a4b00;background:#fff6e0;padding:4px 8px;border-left:3px solid #e9a23b}
.muted{color:#666;font-size:13px}.warn{color:#a4161a}ul.notes{font-size:13px;margin:4px 0;padding-left:20px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:18px}.pair>div{min-width:0}
.status{font-size:12px;padding:1px 6px;border-radius:8px;color:#fff;background:#8d99ae}
.status.completed{background:#2a9d8f}.status.failed{background:#d1495b}.status.canceled{background:#e9a23b}
.status.running{background:#457b9d}.status.interrupted{background:#e9a23b}
"""
