// obscode preview: draws each panel's query results (embedded in the page) as SVG.
// No dependencies and no network access; every panel ends with data-state set to
// "data", "nodata", "error" or "offline" (no Prometheus given when the page was built).
// Values Prometheus reports as NaN or ±Inf arrive as null and are not drawn. The body gets
// data-ready="true" when every panel is drawn, or data-script-error when drawing failed.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0"];
  var STAT_TYPES = { stat: 1, singlestat: 1, gauge: 1, bargauge: 1 };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function formatValue(v) {
    if (v === null) { return "no value"; }
    if (!isFinite(v)) { return String(v); }
    var abs = Math.abs(v);
    if (abs >= 1e9) { return (v / 1e9).toFixed(2) + "G"; }
    if (abs >= 1e6) { return (v / 1e6).toFixed(2) + "M"; }
    if (abs >= 1e3) { return (v / 1e3).toFixed(2) + "k"; }
    if (abs === 0 || abs >= 1) { return String(Math.round(v * 100) / 100); }
    return v.toPrecision(3);
  }

  function bounds(series) {
    var b = { t0: Infinity, t1: -Infinity, v0: Infinity, v1: -Infinity };
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        if (!Number.isFinite(p[1])) { return; }
        b.t0 = Math.min(b.t0, p[0]); b.t1 = Math.max(b.t1, p[0]);
        b.v0 = Math.min(b.v0, p[1]); b.v1 = Math.max(b.v1, p[1]);
      });
    });
    if (b.t1 === b.t0) { b.t0 -= 1; b.t1 += 1; }
    if (b.v1 === b.v0) { b.v0 -= 1; b.v1 += 1; }
    return b;
  }

  function lineChart(box, series) {
    var width = Math.max(box.clientWidth, 120), height = Math.max(box.clientHeight, 60);
    var pad = { left: 48, right: 8, top: 6, bottom: 18 };
    var svg = el("svg", { "class": "chart", width: width, height: height, viewBox: "0 0 " + width + " " + height });
    var b = bounds(series);
    var x = function (t) { return pad.left + (t - b.t0) / (b.t1 - b.t0) * (width - pad.left - pad.right); };
    var y = function (v) { return height - pad.bottom - (v - b.v0) / (b.v1 - b.v0) * (height - pad.top - pad.bottom); };
    el("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, stroke: "#ccc" }, svg);
    [b.v0, b.v1].forEach(function (v) {
      var label = el("text", { x: pad.left - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#666" }, svg);
      label.textContent = formatValue(v);
    });
    series.forEach(function (s, i) {
      var d = s.points.filter(function (p) { return Number.isFinite(p[1]); }).map(function (p, j) {
        return (j ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1);
      }).join(" ");
      if (d) {
        var path = el("path", { d: d, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 1.5, "class": "series" }, svg);
        el("title", {}, path).textContent = s.name;
      }
    });
    box.appendChild(svg);
  }

  function stat(box, series) {
    var last = series[0].points[series[0].points.length - 1];
    var value = document.createElement("div");
    value.className = "stat";
    value.textContent = formatValue(last[1]);
    box.appendChild(value);
  }

  function legend(box, series) {
    var list = document.createElement("ul");
    list.className = "legend";
    series.slice(0, 6).forEach(function (s, i) {
      var item = document.createElement("li");
      item.style.color = COLORS[i % COLORS.length];
      item.textContent = s.name;
      list.appendChild(item);
    });
    if (series.length > 6) {
      var more = document.createElement("li");
      more.textContent = "and " + (series.length - 6) + " more";
      list.appendChild(more);
    }
    box.appendChild(list);
  }

  function message(box, text, kind) {
    var note = document.createElement("div");
    note.className = "message " + kind;
    note.textContent = text;
    box.appendChild(note);
  }

  function draw(panel, result, fetched) {
    var box = panel.querySelector(".body");
    if (!fetched) { panel.dataset.state = "offline"; return; }
    var withPoints = (result.series || []).filter(function (s) { return s.points.length > 0; });
    var series = withPoints.filter(function (s) {
      return s.points.some(function (p) { return Number.isFinite(p[1]); });
    });
    if (result.errors && result.errors.length) {
      message(box, result.errors.join("\n"), "error");
    }
    if (!series.length) {
      panel.dataset.state = result.errors && result.errors.length ? "error" : "nodata";
      if (panel.dataset.state === "nodata") {
        message(box, withPoints.length ? "No finite values (only NaN or Inf)" : "No data", "nodata");
      }
      return;
    }
    if (STAT_TYPES[panel.dataset.type]) { stat(box, series); } else { lineChart(box, series); legend(box, series); }
    panel.dataset.state = "data";
  }

  function main() {
    try {
      draw_all(JSON.parse(document.getElementById("obscode-data").textContent));
    } catch (err) {
      // obscode preview loads the page headless and fails when this is set.
      document.body.dataset.scriptError = String(err && err.message || err);
      throw err;
    }
  }

  function draw_all(data) {
    var panels = document.querySelectorAll(".panel[data-queries]");
    Array.prototype.forEach.call(panels, function (panel) {
      draw(panel, data.results[panel.dataset.index] || { series: [], errors: [] }, data.fetched);
    });
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", main); } else { main(); }
})();
