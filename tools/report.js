// Draws the charts of an oversight report.html with uPlot (embedded before this script)
// from the JSON in the element #report-data (a script of type application/json), which
// tools/report.cpp writes:
//
//   {"charts": [chart, ...]}
//   line chart: {"kind": "line", "container": id, "title": text, "note": text,
//                "x": [tick, ...],
//                "series": [{"label": text, "color": k, "y": [v|null, ...],
//                            "lo": [...], "hi": [...]}, ...]}   lo/hi: optional 95% band
//   xy chart:   {"kind": "xy", "container": id, "title": text, "note": text,
//                "xlabel": text, "ylabel": text,
//                "series": [{"label": text, "color": k, "tick": [t, ...], "x": [v, ...],
//                            "y": [v, ...], "lo": [v|null, ...], "hi": [...]}, ...]}
//                each series its own x; points in tick order; lo/hi: y's 95% band
//   bar chart:  {"kind": "bar", "container": id, "title": text, "note": text,
//                "category": text, "labels": [text, ...], "colors": [k, ...],
//                "values": [v|null, ...], "lo": [...], "hi": [...], "n": [...]}   lo/hi/n optional
//
// Colours are indices into the palette below, so a report's tables and charts agree.
//
// The page checks itself: every chart is drawn inside try/catch and script errors are
// caught by the window.onerror handler installed at the top of <body>; when drawing is
// done, <body> gets data-plots (charts drawn) and data-errors (errors caught), and
// #errors lists the messages. The headless-browser test reads these attributes.
(function () {
  "use strict";
  const errors = window.__reportErrors || (window.__reportErrors = []);
  let plots = 0;
  const drawn = [];  // [uPlot, container] for resizing
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const color = (k) => palette[k % palette.length];
  const alpha = (k, a) => {
    const c = color(k);
    const r = parseInt(c.slice(1, 3), 16), g = parseInt(c.slice(3, 5), 16), b = parseInt(c.slice(5, 7), 16);
    return "rgba(" + r + "," + g + "," + b + "," + a + ")";
  };

  function publish() {
    document.body.dataset.plots = String(plots);
    document.body.dataset.errors = String(errors.length);
    const box = document.getElementById("errors");
    if (!box) return;
    box.hidden = errors.length === 0;
    const list = box.querySelector("ul");
    list.textContent = "";
    for (const e of errors) {
      const li = document.createElement("li");
      li.textContent = e;
      list.appendChild(li);
    }
  }
  window.__reportPublish = publish;  // the onerror handler republishes late errors

  // Five significant digits, exponent form only for very large or small magnitudes.
  function fmt(v) {
    if (v == null || !isFinite(v)) return "\u2014";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e6 || a < 1e-4) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }

  // Room for the longest tick label of a value axis (uPlot's default is fixed at 50 px).
  function axisSize(u, values, axisIdx, cycleNum) {
    if (!values) return 50;
    const longest = values.reduce((m, s) => Math.max(m, String(s == null ? "" : s).length), 0);
    return Math.max(40, 14 + 7 * longest);
  }

  // Ticks are whole numbers: tick-axis steps are 1, 2, 5, 10, 20, 50, ... (uPlot would
  // otherwise label a short run 22.5, 27.5, ...).
  const tickIncrs = [];
  for (let m = 1; m <= 1e15; m *= 10) tickIncrs.push(m, 2 * m, 5 * m);

  const grid = {stroke: "#e8e8e8", width: 1};
  const ticks = {stroke: "#bbb", width: 1, size: 4};

  function widthOf(el) {
    return Math.max(280, Math.floor(el.getBoundingClientRect().width));
  }

  function panel(chart) {
    const host = document.getElementById(chart.container);
    if (!host) throw new Error("no element #" + chart.container + " for chart " + chart.title);
    const div = document.createElement("div");
    div.className = "panel";
    const h = document.createElement("h3");
    h.textContent = chart.title;
    div.appendChild(h);
    if (chart.note) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = chart.note;
      div.appendChild(p);
    }
    const plot = document.createElement("div");
    plot.className = "plot";
    div.appendChild(plot);
    host.appendChild(div);
    return plot;
  }

  // One line per series on shared axes; a series with lo/hi gets a filled 95% band
  // between two unlabelled helper series, and its legend entry shows "mean [lo, hi]".
  function lineChart(chart, el) {
    const data = [chart.x];
    const series = [{label: "tick", value: (u, v) => (v == null ? "\u2014" : String(v))}];
    const bands = [];
    const helpers = [];  // indices of band edge series, hidden from the legend
    for (const s of chart.series) {
      const mean = data.length;
      data.push(s.y);
      if (s.lo && s.hi) {
        series.push({
          label: s.label, stroke: color(s.color), width: 1.75, spanGaps: true,
          value: (u, v, si, i) => (i == null || v == null ? "\u2014"
                                   : fmt(v) + "  [" + fmt(s.lo[i]) + ", " + fmt(s.hi[i]) + "]"),
        });
        data.push(s.lo, s.hi);
        for (const edge of ["lo", "hi"])
          series.push({label: s.label + " " + edge, stroke: alpha(s.color, 0.35), width: 0.5, spanGaps: false,
                       points: {show: false}});
        helpers.push(mean + 1, mean + 2);
        bands.push({series: [mean + 2, mean + 1], fill: alpha(s.color, 0.15)});
      } else {
        series.push({label: s.label, stroke: color(s.color), width: 1.5, spanGaps: true, value: (u, v) => fmt(v)});
      }
    }
    const opts = {
      width: widthOf(el), height: 260,
      scales: {x: {time: false}},
      axes: [
        {label: "tick", grid, ticks, size: 32, labelSize: 20, incrs: tickIncrs},
        {label: "value", grid, ticks, size: axisSize},
      ],
      series, bands,
      legend: {live: true},
      cursor: {points: {size: 6}},
      hooks: {
        // Hiding or showing an arm in the legend takes its band along.
        setSeries: [(u, i, o) => {
          if (o == null || o.show == null || helpers.includes(i)) return;
          if (helpers.includes(i + 1)) {
            u.setSeries(i + 1, {show: o.show});
            u.setSeries(i + 2, {show: o.show});
          }
        }],
      },
    };
    const u = new uPlot(opts, data, el);
    const rows = u.root.querySelectorAll(".u-legend .u-series");
    for (const i of helpers) if (rows[i]) rows[i].style.display = "none";
    return u;
  }

  // Metric against metric: one line per series through its points in tick order, each
  // series with its own x (uPlot's mode 2), y's 95% band shaded behind it. The paths are
  // drawn here (uPlot's line builders assume x ascending); hovering shows the nearest
  // point of each series.
  function xyChart(chart, el) {
    const finite = (v) => v != null && isFinite(v);
    const extent = (vals) => {
      let lo = Infinity, hi = -Infinity;
      for (const v of vals) if (finite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (!(lo <= hi)) return [0, 1];
      if (lo === hi) { lo -= 1; hi += 1; }
      const pad = (hi - lo) * 0.05;
      return [lo - pad, hi + pad];
    };
    let xs = [], ys = [];
    for (const s of chart.series) {
      xs = xs.concat(s.x);
      ys = ys.concat(s.y, s.lo || [], s.hi || []);
    }
    const xr = extent(xs), yr = extent(ys);
    // Points on each series' drawn line, published as the plot's data-points once drawn
    // (the tests read it: a chart that draws no line is caught).
    const drawnPoints = chart.series.map(() => 0);
    const linePath = (s, k) => (u) => {
      const X = (v) => u.valToPos(v, "x", true), Y = (v) => u.valToPos(v, "y", true);
      const stroke = new Path2D();
      let on = false, n = 0;
      for (let i = 0; i < s.x.length; i++) {
        if (!finite(s.x[i]) || !finite(s.y[i])) { on = false; continue; }
        if (on) stroke.lineTo(X(s.x[i]), Y(s.y[i])); else stroke.moveTo(X(s.x[i]), Y(s.y[i]));
        on = true;
        n++;
      }
      drawnPoints[k] = n;
      let fill = null;
      const idx = [];
      for (let i = 0; i < s.x.length; i++)
        if (s.lo && s.hi && finite(s.x[i]) && finite(s.lo[i]) && finite(s.hi[i])) idx.push(i);
      if (idx.length > 1) {
        fill = new Path2D();
        fill.moveTo(X(s.x[idx[0]]), Y(s.hi[idx[0]]));
        for (const i of idx.slice(1)) fill.lineTo(X(s.x[i]), Y(s.hi[i]));
        for (const i of idx.slice().reverse()) fill.lineTo(X(s.x[i]), Y(s.lo[i]));
        fill.closePath();
      }
      return {stroke, fill, clip: null, band: null, gaps: null, flags: 0};
    };
    const data = [null];
    const series = [{label: chart.xlabel}];
    chart.series.forEach((s, k) => {
      data.push([s.x, s.y]);
      series.push({
        label: s.label, stroke: color(s.color), width: 1.75, fill: alpha(s.color, 0.15),
        paths: linePath(s, k), points: {show: true, size: 4, fill: color(s.color)},
        value: (u, v, si, i) => (i == null || s.x[i] == null ? "\u2014"
                                 : "x " + fmt(s.x[i]) + ", y " + fmt(s.y[i]) +
                                   (s.lo && finite(s.lo[i]) ? "  [" + fmt(s.lo[i]) + ", " + fmt(s.hi[i]) + "]" : "") +
                                   "  tick " + s.tick[i]),
      });
    });
    // The nearest point of a series to the cursor, within 24 px.
    const nearest = (u, si) => {
      const s = chart.series[si - 1], cx = u.cursor.left, cy = u.cursor.top;
      if (!s || cx == null || cx < 0) return null;
      let best = null, bd = 24 * 24;
      for (let i = 0; i < s.x.length; i++) {
        if (!finite(s.x[i]) || !finite(s.y[i])) continue;
        const dx = u.valToPos(s.x[i], "x") - cx, dy = u.valToPos(s.y[i], "y") - cy;
        if (dx * dx + dy * dy < bd) { bd = dx * dx + dy * dy; best = i; }
      }
      return best;
    };
    const opts = {
      mode: 2,
      width: widthOf(el), height: 300,
      scales: {x: {time: false, range: () => xr}, y: {range: () => yr}},
      axes: [
        {scale: "x", label: chart.xlabel, grid, ticks, size: 32, labelSize: 20},
        {scale: "y", label: chart.ylabel, grid, ticks, size: axisSize},
      ],
      series,
      legend: {live: true},
      cursor: {drag: {x: false, y: false}, dataIdx: (u, si) => nearest(u, si), points: {size: 7}},
      hooks: {
        draw: [(u) => {
          el.dataset.points = String(drawnPoints.reduce((a, n, k) => a + (u.series[k + 1].show ? n : 0), 0));
        }],
      },
    };
    return new uPlot(opts, data, el);
  }

  // Horizontal bars, one per label, on a value axis that always includes 0; with lo/hi
  // each bar gets a 95% CI whisker.
  function barChart(chart, el) {
    const n = chart.labels.length;
    const idx = chart.labels.map((_, i) => i);
    const finite = (a) => (a || []).filter((v) => v != null && isFinite(v));
    const all = finite(chart.values).concat(finite(chart.lo), finite(chart.hi));
    let lo = Math.min(0, ...all), hi = Math.max(0, ...all);
    if (lo === hi) hi = 1;
    const pad = (hi - lo) * 0.06;
    const range = [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : 0];
    const longest = chart.labels.reduce((m, s) => Math.max(m, s.length), 0);
    const short = (s) => (s.length > 44 ? s.slice(0, 42) + "\u2026" : s);
    const colors = chart.labels.map((_, i) => color(chart.colors ? chart.colors[i] : 0));
    const withCI = !!(chart.lo && chart.hi);
    const whiskers = (u) => {
      if (!withCI) return;
      const ctx = u.ctx, r = window.devicePixelRatio || 1;
      ctx.save();
      ctx.strokeStyle = "#222";
      ctx.lineWidth = 1.5 * r;
      for (let i = 0; i < n; i++) {
        const a = chart.lo[i], b = chart.hi[i];
        if (a == null || b == null || !isFinite(a) || !isFinite(b)) continue;
        const y = u.valToPos(i, "x", true), x0 = u.valToPos(a, "y", true), x1 = u.valToPos(b, "y", true);
        const cap = 6 * r;
        ctx.beginPath();
        ctx.moveTo(x0, y); ctx.lineTo(x1, y);
        ctx.moveTo(x0, y - cap); ctx.lineTo(x0, y + cap);
        ctx.moveTo(x1, y - cap); ctx.lineTo(x1, y + cap);
        ctx.stroke();
      }
      ctx.restore();
    };
    const opts = {
      width: widthOf(el), height: 64 + 30 * n,
      scales: {
        x: {time: false, ori: 1, dir: -1, range: [-0.5, n - 0.5]},
        y: {ori: 0, dir: 1, range: () => range},
      },
      axes: [
        {scale: "x", side: 3, grid: {show: false}, ticks: {show: false}, splits: () => idx,
         values: (u, splits) => splits.map((i) => short(chart.labels[i] || "")),
         size: Math.min(330, 16 + 7 * Math.min(44, longest))},
        {scale: "y", side: 2, label: "value", grid, ticks, size: 32, labelSize: 20, space: 60},
      ],
      series: [
        {label: chart.category, value: (u, v) => (v == null ? "\u2014" : chart.labels[Math.round(v)])},
        {
          label: withCI ? "mean [95% CI]" : "value", width: 0, fill: colors[0], points: {show: false},
          paths: uPlot.paths.bars({size: [0.6, 26], disp: {fill: {unit: 3, values: () => colors}}}),
          value: (u, v, si, i) => {
            if (i == null || v == null) return "\u2014";
            let t = fmt(v);
            if (withCI) t += "  [" + fmt(chart.lo[i]) + ", " + fmt(chart.hi[i]) + "]";
            if (chart.n) t += "  n=" + chart.n[i];
            return t;
          },
        },
      ],
      legend: {live: true},
      cursor: {points: {show: false}},
      hooks: {draw: [whiskers]},
    };
    return new uPlot(opts, [idx, chart.values], el);
  }

  function draw() {
    if (typeof uPlot !== "function") throw new Error("uPlot did not load");
    const text = document.getElementById("report-data").textContent;
    const data = JSON.parse(text);
    for (const chart of data.charts) {
      try {
        const el = panel(chart);
        const u = chart.kind === "bar" ? barChart(chart, el)
                  : chart.kind === "xy" ? xyChart(chart, el) : lineChart(chart, el);
        drawn.push([u, el]);
        plots++;
      } catch (e) {
        errors.push("chart " + chart.title + ": " + (e && e.message ? e.message : String(e)));
      }
    }
  }

  try {
    draw();
  } catch (e) {
    errors.push(e && e.message ? e.message : String(e));
  }
  publish();

  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const [u, el] of drawn) u.setSize({width: widthOf(el), height: u.height});
    }, 100);
  });
})();
