// The history chart: uPlot (from npm, bundled), score per interval as a line with points, and
// the article count as bars on a second axis. Colours come from the stylesheet's custom
// properties, so the chart follows light and dark mode.

import uPlot from "uplot";

function colours(el) {
  const style = getComputedStyle(el);
  const get = (name) => style.getPropertyValue(name).trim();
  return { line: get("--chart-line"), bars: get("--chart-bars"), grid: get("--chart-grid"), text: get("--fg-muted") };
}

export class HistoryChart {
  constructor(container) {
    this.container = container;
    this.plot = null;
    this.data = null;
    new ResizeObserver(() => this.resize()).observe(container);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.data && this.draw(this.data));
  }

  size() {
    const width = Math.max(240, Math.floor(this.container.clientWidth));
    return { width, height: width < 500 ? 200 : 260 };
  }

  resize() {
    if (this.plot) this.plot.setSize(this.size());
  }

  /** buckets: the API's history points ({start, score, articles}). */
  draw(buckets) {
    this.data = buckets;
    const c = colours(this.container);
    const xs = buckets.map((b) => Date.parse(b.start) / 1000);
    const scores = buckets.map((b) => b.score);
    const counts = buckets.map((b) => b.articles);
    const axis = { stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    const options = {
      ...this.size(),
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, score: { range: [-1, 1] }, n: { range: (_u, _min, max) => [0, Math.max(4, max * 2)] } },
      axes: [
        { ...axis },
        { ...axis, scale: "score", label: "Score", values: (_u, ticks) => ticks.map((t) => (t > 0 ? `+${t.toFixed(1)}` : t.toFixed(1))) },
        { ...axis, scale: "n", side: 1, label: "Articles", grid: { show: false } },
      ],
      series: [
        {},
        { label: "Score", scale: "score", stroke: c.line, width: 2, spanGaps: true, points: { show: true, size: 5, fill: c.line }, value: (_u, v) => (v === null ? "–" : v.toFixed(2)) },
        { label: "Articles", scale: "n", stroke: c.bars, fill: c.bars, width: 0, paths: uPlot.paths.bars({ size: [0.6, 24] }), points: { show: false } },
      ],
    };
    this.plot?.destroy();
    this.plot = new uPlot(options, [xs, scores, counts], this.container);
  }
}
