/* The book's chart renderer (lib.charts.show writes each chart as a div and a JSON spec beside it).
 *
 * Every chart is drawn with vegaEmbed from the Vega bundle shipped with the book, and:
 *  - fits its container: single and layered views take the container's width (autosize fit-x); each view of
 *    a concatenation gets the width left after its axes and legends; on a narrow screen (a phone) legends move
 *    under the plot and side-by-side views stack;
 *  - follows the page's light or dark mode (the theme's data-theme attribute on <html>), redrawing on toggle;
 *  - formats numbers that have no explicit format for people: 3.3×10²⁴ and 7.4B, not 3.29e+24;
 *  - redraws when its container changes width, keeping the values of its sliders and menus.
 */
(function () {
  "use strict";
  var NARROW = 600;        // px: below this container width, legends go under the plot and rows stack
  var MAX_WIDTH = 980;     // px: charts do not grow past this on wide screens
  var charts = [];

  function isDark() {
    return document.documentElement.getAttribute("data-theme") === "dark";
  }

  // ---- human number format (a Vega expression function, used where a spec names no format) -------------
  var SUPERSCRIPT = {"-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074",
                     "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079"};
  var SHORT = [[1e12, "T"], [1e9, "B"], [1e6, "M"]];

  function trimmed(value, digits) {
    return Number(value.toPrecision(digits)).toLocaleString("en-US", {maximumFractionDigits: 12});
  }

  function human(value) {
    if (typeof value !== "number" || !isFinite(value)) return String(value);
    var a = Math.abs(value);
    if (a === 0) return "0";
    if (a >= 1e15 || a < 1e-4) {
      var exponent = Math.floor(Math.log10(a));
      var mantissa = Number((value / Math.pow(10, exponent)).toPrecision(3));
      if (Math.abs(mantissa) >= 10) { mantissa /= 10; exponent += 1; }
      var power = "10" + String(exponent).split("").map(function (c) { return SUPERSCRIPT[c]; }).join("");
      return (mantissa === 1 ? "" : mantissa + "\u00d7") + power;
    }
    for (var i = 0; i < SHORT.length; i++) {
      if (a >= SHORT[i][0]) return trimmed(value / SHORT[i][0], 3) + SHORT[i][1];
    }
    return Number(value.toPrecision(12)).toLocaleString("en-US", {maximumFractionDigits: 12});
  }
  window.bookNumber = human;  // for tests

  // ---- dark mode ------------------------------------------------------------------------------------------
  var DARK_CONFIG = {
    background: "transparent",
    title: {color: "#e8e8e8", subtitleColor: "#b8b8b8"},
    axis: {domainColor: "#9a9a9a", tickColor: "#9a9a9a", gridColor: "#3b3f45", labelColor: "#d4d4d4",
           titleColor: "#e8e8e8"},
    legend: {labelColor: "#d4d4d4", titleColor: "#e8e8e8"},
    header: {labelColor: "#d4d4d4", titleColor: "#e8e8e8"},
    text: {color: "#e8e8e8"},
    rule: {color: "#c8c8c8"}
  };

  function hexRgb(s) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s);
    if (!m) return null;
    var h = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
    return [0, 2, 4].map(function (i) { return parseInt(h.substr(i, 2), 16); });
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  // A colour that reads on a dark background: dark greys become light greys, dark hues are lightened.
  function forDark(value) {
    if (value === "black") value = "#000000";
    var rgb = hexRgb(value);
    if (!rgb || luminance(rgb) >= 0.2) return value;
    var grey = Math.max.apply(null, rgb) - Math.min.apply(null, rgb) < 24;
    var mix = grey ? 0.8 : 0.45;
    return "#" + rgb.map(function (v) {
      return ("0" + Math.round(v + (255 - v) * mix).toString(16)).slice(-2);
    }).join("");
  }

  function recolour(node) {
    if (Array.isArray(node)) return node.map(recolour);
    if (node && typeof node === "object") {
      var out = {};
      Object.keys(node).forEach(function (k) {
        if (k === "data" || k === "datasets") { out[k] = node[k]; return; }
        out[k] = recolour(node[k]);
      });
      return out;
    }
    return typeof node === "string" ? forDark(node) : node;
  }

  function merge(base, extra) {
    var out = Object.assign({}, base);
    Object.keys(extra).forEach(function (k) {
      var a = out[k], b = extra[k];
      out[k] = (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b))
        ? merge(a, b) : b;
    });
    return out;
  }

  // ---- fitting the container --------------------------------------------------------------------------
  function isView(spec) { return "layer" in spec || "mark" in spec; }

  function eachView(spec, fn) {
    if (isView(spec)) { fn(spec); return; }
    ["vconcat", "hconcat", "concat"].forEach(function (key) {
      (spec[key] || []).forEach(function (sub) { eachView(sub, fn); });
    });
    if (spec.spec) eachView(spec.spec, fn);
  }

  // A legend drawn (partly) outside its chart's SVG, which clips it.
  function legendOverflows(svg) {
    var box = svg.getBoundingClientRect();
    return Array.prototype.some.call(svg.querySelectorAll("g.role-legend"), function (g) {
      var r = g.getBoundingClientRect();
      return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
    });
  }

  // Narrow: every legend under the plot, one entry a line, labels as wide as the chart.
  function legendsBelow(node, width) {
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (k) {
      var v = node[k];
      if (k === "legend" && v && typeof v === "object") {
        Object.assign(v, {orient: "bottom", direction: "vertical", labelLimit: Math.min(v.labelLimit || 1e4, width - 40)});
        delete v.columns;
        wrapIn(v, "title", width - 10, 12, 600);
      }
      if (k !== "data" && k !== "datasets") legendsBelow(v, width);
    });
  }

  // Vega does not wrap text: titles break into lines no wider than maxPx, measured in the chart's font.
  var measure;
  function textWidth(text, size, weight) {
    measure = measure || document.createElement("canvas").getContext("2d");
    measure.font = weight + " " + size + "px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    return measure.measureText(text).width;
  }

  // holder[key] (a string or lines) broken into lines no wider than maxPx; returns them.
  function wrapIn(holder, key, maxPx, size, weight) {
    var text = holder[key];
    if (Array.isArray(text)) text = text.join(" ");
    if (typeof text !== "string") return [];
    if (textWidth(text, size, weight) <= maxPx) return [holder[key] = text];
    var lines = [], line = "";
    text.split(/\s+/).forEach(function (word) {
      var longer = line ? line + " " + word : word;
      if (line && textWidth(longer, size, weight) > maxPx) { lines.push(line); line = word; } else line = longer;
    });
    lines.push(line);
    return (holder[key] = lines);
  }

  // Each view, layer and concatenation of a spec, with the height of its plot.
  function walk(node, height, fn) {
    if (!node || typeof node !== "object") return;
    if (typeof node.height === "number") height = node.height;
    fn(node, height);
    ["vconcat", "hconcat", "concat", "layer"].forEach(function (key) {
      (node[key] || []).forEach(function (sub) { walk(sub, height, fn); });
    });
    walk(node.spec, height, fn);
  }

  // Titles wrap to the chart's width; axis titles (centred on their axis) an x title to the plot's width, a y title
  // to its height; on a phone a log x axis gets a tick per 60 px (decades, not a thinned "1,000 90,000 2M").
  // Returns the widest x-title line: the plot's width is known only once drawn (see draw).
  function wrapTitles(spec, width, plotWidth, plotHeight, narrow) {
    var widest = 0;
    walk(spec, plotHeight, function (node, height) {
      var t = node.title;
      if (t && typeof t === "object" && !Array.isArray(t)) {
        wrapIn(t, "text", width - 12, t.fontSize || 15, "bold");
        wrapIn(t, "subtitle", width - 12, t.subtitleFontSize || 12, "normal");
      } else wrapIn(node, "title", width - 12, 15, "bold");
      var enc = node.encoding || {};
      [["x", plotWidth], ["y", height - 10]].forEach(function (c) {
        var e = enc[c[0]];
        if (!e || typeof e !== "object") return;
        [e, e.axis || {}].forEach(function (h) {
          wrapIn(h, "title", c[1], 12, 600).forEach(function (l) {
            if (c[0] === "x") widest = Math.max(widest, textWidth(l, 12, 600));
          });
        });
        if (narrow && c[0] === "x" && (e.scale || {}).type === "log" && e.axis !== null) {
          e.axis = Object.assign({tickCount: Math.max(2, Math.floor(plotWidth / 60))}, e.axis);
        }
      });
    });
    return widest;
  }

  function fitted(chart, width) {
    var spec = JSON.parse(JSON.stringify(chart.spec));
    var config = spec.config || {};
    var narrow = width < NARROW;
    if (narrow) {
      if (spec.hconcat) { spec.vconcat = spec.hconcat; delete spec.hconcat; }
      if (spec.concat) spec.columns = 1;
    }
    // axisX labelFlush: labels within 25 px of an end of an x axis align inside the plot (Vega's fit lets
    // "10,000" overhang the chart's edge).
    config = merge(config, {axisX: merge({labelFlush: 25}, config.axisX || {})});
    if (narrow || chart.stackLegends) {
      config = merge(config, {legend: {orient: "bottom", direction: "vertical", labelLimit: width - 40}});
      legendsBelow(spec, width);
    }
    var inner = Math.max(120, width - (chart.chrome || 110));
    chart.xTitle = wrapTitles(spec, width, isView(spec) ? width - (chart.plotChrome || 70) : inner,
                              (config.view || {}).continuousHeight || 320, narrow);
    // axisBand: a bar axis prints every label ("10111213" on a phone): keep every other one until they clear.
    config = merge(config, {customFormatTypes: true, numberFormatType: "bookNumber",
                            axisBand: merge({labelOverlap: "parity"}, config.axisBand || {})});
    if (isDark()) {
      spec = recolour(spec);
      config = merge(recolour(config), DARK_CONFIG);
    }
    spec.config = config;
    if (isView(spec)) {
      spec.width = width;
      spec.autosize = {type: "fit-x", contains: "padding"};
    } else {
      eachView(spec, function (view) { view.width = inner; });
    }
    return spec;
  }

  function availableWidth(chart) {
    var w = chart.el.getBoundingClientRect().width || chart.el.parentElement.getBoundingClientRect().width;
    return Math.max(200, Math.min(MAX_WIDTH, Math.floor(w) - 2));
  }

  function keepControls(chart, spec) {
    if (!chart.view) return spec;
    (spec.params || []).forEach(function (p) {
      if (!p.bind || p.select) return;
      try { p.value = chart.view.signal(p.name); } catch (e) { /* not a signal in this view */ }
    });
    return spec;
  }

  // Sliders start at the data's own values, unrounded, so that a chart's readout at the start is the number the
  // prose gives; Vega prints a slider's raw value beside it (0.6428571428571428): show at least 4 significant
  // figures (whole numbers as they are) while the signal keeps the exact value.
  function tidySliders(el) {
    el.querySelectorAll(".vega-bind input[type=range]").forEach(function (input) {
      var out = input.nextElementSibling;
      if (!out || out.tagName !== "SPAN") return;
      var tidy = function () {
        var v = parseFloat(out.textContent);
        if (!isFinite(v) || Number.isInteger(v)) return;
        var digits = Math.max(4, Math.ceil(Math.log10(Math.abs(v) + 1)));
        out.textContent = String(Number(v.toPrecision(Math.min(digits, 21))));
      };
      tidy();
      input.addEventListener("input", tidy);
    });
  }

  function draw(chart, pass) {
    var width = availableWidth(chart);
    if (!pass && chart.width !== width) chart.stackLegends = false;
    var spec = keepControls(chart, fitted(chart, width));
    chart.width = width;
    chart.dark = isDark();
    if (chart.view) { chart.view.finalize(); chart.view = null; }
    var stacked = width < NARROW || chart.stackLegends;  // legends under the plot, as fitted() placed them
    return window.vegaEmbed(chart.el, spec, {
      actions: false, renderer: "svg", expressionFunctions: {bookNumber: human},
      // Legends under the plot stack one above the other (side by side they run off the screen).
      patch: function (vg) {
        if (!stacked) return vg;
        vg.config = vg.config || {};
        vg.config.legend = Object.assign({}, vg.config.legend,
                                         {layout: {bottom: {anchor: "start", direction: "vertical"}}});
        return vg;
      }
    }).then(function (result) {
      chart.view = result.view;
      tidySliders(chart.el);
      var drawnSvg = chart.el.querySelector("svg");
      if (!chart.stackLegends && drawnSvg && pass !== 2 && legendOverflows(drawnSvg)) {
        // A legend side by side wider than the chart: stack it under the plot, as on a phone.
        chart.stackLegends = true;
        return draw(chart, 2);
      }
      if (isView(spec) && pass !== 1) {
        // An x-axis title wider than the plot: wrap it again to the plot's drawn width.
        var plot = result.view.width();
        chart.plotChrome = width - plot;
        if (chart.xTitle > plot + 1) return draw(chart, 1);
      }
      if (!isView(spec) && pass !== 1) {
        // Concatenations: measure what the axes and legends took, and give the views the rest.
        var drawn = drawnSvg ? parseFloat(drawnSvg.getAttribute("width")) : width;
        var widest = 0;
        eachView(spec, function (v) { widest = Math.max(widest, v.width); });
        var chrome = Math.ceil(drawn - widest) + 4;
        if (chrome > 0 && Math.abs(chrome - (chart.chrome || 110)) > 4) {
          chart.chrome = chrome;
          return draw(chart, 1);
        }
      }
    }).catch(function (e) {
      console.error("chart " + chart.el.id + ": " + e);
    });
  }

  // A spec is JSON, or gzip-compressed JSON in base64 (large inline data; see lib.charts.Rendered).
  function readSpec(source) {
    if (source.getAttribute("data-encoding") !== "gzip+base64") {
      return Promise.resolve(JSON.parse(source.textContent));
    }
    var bytes = Uint8Array.from(atob(source.textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function redrawIf(test) {
    charts.forEach(function (chart) { if (chart.view && test(chart)) draw(chart); });
  }

  function start() {
    if (!window.vegaEmbed) { console.error("book-charts: the Vega bundle did not load"); return; }
    document.querySelectorAll("div.book-chart").forEach(function (el) {
      var source = document.getElementById(el.id + "-spec");
      if (!source) return;
      var chart = {el: el, spec: null};
      charts.push(chart);
      readSpec(source).then(function (spec) {
        chart.spec = spec;
        draw(chart);
      }).catch(function (e) { console.error("chart " + el.id + ": " + e); });
    });
    var pending = null;
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(function () {
        clearTimeout(pending);
        pending = setTimeout(function () {
          redrawIf(function (c) { return Math.abs(availableWidth(c) - c.width) > 8; });
        }, 150);
      });
      charts.forEach(function (c) { observer.observe(c.el.parentElement || c.el); });
    }
    new MutationObserver(function () {
      redrawIf(function (c) { return c.dark !== isDark(); });
    }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-theme"]});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
