"""Open an HTML report in Debian's headless chromium and read back what the page did.

The report itself carries no test hooks: ``open_report`` copies it and puts a small recorder script first in its
``<head>``, before plotly's. The recorder keeps every ``window.onerror``, unhandled promise rejection, failed resource
load and ``console.error``/``console.warn`` call; once the page has loaded and plotly has drawn (chromium's virtual
time budget runs the timers), it writes them into the DOM with, for every plot, what plotly drew: each trace's type,
name and number of points, the bars drawn, the shapes, each x axis's type and categories, the subplot titles, and a
parallel-coordinates chart's number of lines and each axis's number of values. ``chromium --dump-dom`` prints that
DOM; a page whose recorder never ran (a crash, a script that never loaded) has no such element and fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MISSING = (
    "the report tests open the report in Debian's headless chromium, and there is none on this machine: "
    "install it with `sudo apt-get install -y chromium` (the README's test command does), then run the tests again"
)


def chromium() -> str:
    """The browser's path, or a failure that says how to install it (a missing browser is not a broken report)."""
    if not Path(CHROMIUM).exists():
        raise AssertionError(MISSING)
    return CHROMIUM


FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

RECORDER = """<script>
(function () {
  var seen = [];
  window.__reportErrors = seen;
  window.addEventListener("error", function (e) {
    var where = e.target && e.target !== window ? " loading " + (e.target.src || e.target.href) : "";
    seen.push("error: " + (e.message || "resource") + where);
  }, true);
  window.addEventListener("unhandledrejection", function (e) { seen.push("unhandled rejection: " + e.reason); });
  ["error", "warn"].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      seen.push("console." + level + ": " + Array.prototype.map.call(arguments, String).join(" "));
      return original.apply(console, arguments);
    };
  });
  window.addEventListener("load", function () {
    setTimeout(function () {
      var plots = Array.prototype.map.call(document.querySelectorAll(".js-plotly-plot"), function (gd) {
        var trace = gd._fullData && gd._fullData[0];
        var out = {id: gd.id, drawn: !!gd._fullLayout, type: trace ? trace.type : null,
                   traces: gd._fullData ? gd._fullData.length : 0};
        if (gd._fullData) {  // every trace's kind, name and number of points; bars and shapes as drawn
          out.series = gd._fullData.map(function (t) { return {type: t.type, name: t.name, n: t._length}; });
          out.bars = Array.prototype.filter.call(gd.querySelectorAll(".barlayer .point path"), function (p) {
            var d = p.getAttribute("d");
            return d && d !== "M0,0Z";  // plotly's path for a bar it could not draw (no size, no position)
          }).length;
          out.shapes = (gd._fullLayout.shapes || []).length;
          out.xaxes = {};
          Object.keys(gd._fullLayout).filter(function (k) { return /^xaxis[0-9]*$/.test(k); }).forEach(function (k) {
            var ax = gd._fullLayout[k];
            out.xaxes[k] = {type: ax.type, title: ax.title && ax.title.text, categories: ax._categories || null};
          });
          out.titles = (gd._fullLayout.annotations || []).map(function (a) { return a.text; });
        }
        // as drawn: every colour bar's title, and each subplot title's clearance above the panel under it (px)
        out.colorbars = Array.prototype.map.call(gd.querySelectorAll(".colorbar"), function (c) {
          var title = c.querySelector(".cbtitle");
          return title ? title.textContent : "";
        });
        var panels = Array.prototype.map.call(gd.querySelectorAll(".bglayer .bg"), function (r) {
          return r.getBoundingClientRect();
        });
        out.title_clearance = Array.prototype.map.call(gd.querySelectorAll(".annotation"), function (a) {
          var box = a.getBoundingClientRect();
          var below = panels.filter(function (p) { return p.top >= box.top && p.left <= box.right && p.right >= box.left; });
          if (!below.length) { return null; }
          return Math.min.apply(null, below.map(function (p) { return p.top; })) - box.bottom;
        });
        if (trace && trace.type === "parcoords") {
          out.ticks = Array.prototype.map.call(gd.querySelectorAll(".axis"), function (ax) {
            return Array.prototype.map.call(ax.querySelectorAll(".tick text"), function (t) { return t.textContent; });
          });
          out.extents = Array.prototype.map.call(gd.querySelectorAll(".axis-extent-text"), function (t) {
            return t.textContent;
          });
          out.lines = trace._length;
          out.axes = gd.data[0].dimensions.map(function (d) { return d.values.length; });
          out.labels = gd.data[0].dimensions.map(function (d) { return d.label; });
          out.finite = gd.data[0].dimensions.every(function (d) {
            return Array.prototype.every.call(d.values, function (v) { return isFinite(v); });
          });
        }
        return out;
      });
      // each leaderboard: its rows, and the cells a scrolling or clipping box hides (wholly or in part)
      var boards = Array.prototype.map.call(document.querySelectorAll("table.board"), function (table) {
        var cells = table.querySelectorAll("td, th");
        var hidden = Array.prototype.filter.call(cells, function (cell) {
          var box = cell.getBoundingClientRect();
          if (cell.scrollWidth > cell.clientWidth + 1) { return true; }  // its text cut at its own edge
          for (var up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
            var style = getComputedStyle(up);
            if (style.overflowX === "visible" && style.overflowY === "visible") { continue; }
            var outer = up.getBoundingClientRect();
            if (box.bottom > outer.bottom + 1 || box.right > outer.right + 1) { return true; }
          }
          return false;
        });
        return {rows: table.querySelectorAll("tr").length, hidden: hidden.length};
      });
      var canvas = document.createElement("canvas");
      var pre = document.createElement("pre");
      pre.id = "__report_check";
      pre.textContent = JSON.stringify({
        errors: seen, plots: plots, boards: boards, webgl: !!canvas.getContext("webgl"),
        resources: performance.getEntriesByType("resource").map(function (e) { return e.name; }),
        text: document.body.innerText.slice(0, 200000)
      });
      document.body.appendChild(pre);
    }, 1500);
  });
})();
</script>"""


def open_report(path: Path, timeout: float = 120) -> dict:
    """What the page did: {"errors", "plots", "webgl", "resources" (every URL it fetched), "text" (visible text)}."""
    folder = Path(tempfile.mkdtemp(prefix="report-check-"))
    try:
        page = folder / "page.html"
        text = path.read_text(encoding="utf-8")
        head = text.index("<head>") + len("<head>")
        page.write_text(text[:head] + '<meta charset="utf-8">' + RECORDER + text[head:], encoding="utf-8")
        proc = subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={folder / 'profile'}",
                "--virtual-time-budget=20000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    found = re.search(r'<pre id="__report_check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the page never reported back (chromium exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshot(path: Path, png: Path, width: int = 1400, height: int = 3000) -> None:
    folder = Path(tempfile.mkdtemp(prefix="report-shot-"))
    try:
        subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={folder}",
                "--virtual-time-budget=20000",
                f"--screenshot={png}",
                f"--window-size={width},{height}",
                path.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
