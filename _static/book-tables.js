/* Sortable, filterable tables: lib.page.ledger_html writes plain tables (class book-sortable) that read the same
 * without this script. Each column head becomes a button (ascending, then descending; aria-sort says which):
 * numbers sort by the cell's data-sort (empty last), ordered columns by the head's data-order list, text
 * alphabetically; ties keep the table's order. Columns marked data-filter get a menu, and a search box filters on
 * every cell; a status line counts the rows shown. Ordinary buttons and form controls: keyboard accessible. */
(function () {
  "use strict";
  var tables = 0;

  function text(node) { return (node.textContent || "").replace(/\s+/g, " ").trim(); }

  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (content) e.textContent = content;
    return e;
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length || table.getAttribute("data-enhanced")) return;
    table.setAttribute("data-enhanced", "1");
    var id = "book-table-" + (++tables);
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var orders = heads.map(function (th) {
      var o = th.getAttribute("data-order");
      return o ? o.split("|") : null;
    });
    var state = {column: -1, direction: "", filters: {}, search: ""};

    function key(row, i) {
      var cell = row.cells[i], type = heads[i].getAttribute("data-sort-type");
      if (type === "number") {
        var v = parseFloat(cell.getAttribute("data-sort"));
        return isNaN(v) ? null : v;
      }
      var t = text(cell);
      if (orders[i]) return orders[i].indexOf(t) < 0 ? orders[i].length : orders[i].indexOf(t);
      t = t.toLowerCase();
      return t === "" || t === "\u2014" ? null : t;
    }

    var controls = el("div", {"class": "book-table-controls"});
    function group(label, control) {
      var g = el("span", {"class": "book-table-filter"});
      g.appendChild(el("label", {"for": control.id}, label + " "));
      g.appendChild(control);
      controls.appendChild(g);
    }
    heads.forEach(function (th, i) {
      if (!th.hasAttribute("data-filter")) return;
      var values = [];
      rows.forEach(function (r) { var v = text(r.cells[i]); if (values.indexOf(v) < 0) values.push(v); });
      values.sort(function (a, b) { return orders[i] ? orders[i].indexOf(a) - orders[i].indexOf(b) : a.localeCompare(b); });
      var select = el("select", {id: id + "-filter-" + i});
      select.appendChild(el("option", {value: ""}, "all"));
      values.forEach(function (v) { select.appendChild(el("option", {value: v}, v)); });
      select.addEventListener("change", function () { state.filters[i] = select.value; apply(); });
      group(text(th), select);
    });
    var search = el("input", {id: id + "-search", type: "search", placeholder: "claim, quantity, note", autocomplete: "off"});
    search.addEventListener("input", function () { state.search = search.value.trim().toLowerCase(); apply(); });
    group("search", search);
    var status = el("p", {"class": "book-table-status", role: "status", "aria-live": "polite"});
    controls.appendChild(status);
    var box = table.closest(".book-table-wrap") || table;
    box.parentNode.insertBefore(controls, box);

    rows.forEach(function (row, n) { row.setAttribute("data-index", String(n)); });
    heads.forEach(function (th, i) {
      var button = el("button", {type: "button", "class": "book-sort"});
      while (th.firstChild) button.appendChild(th.firstChild);
      button.appendChild(el("span", {"class": "book-sort-arrow", "aria-hidden": "true"}, "\u2195"));
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(i); });
    });

    function sortBy(i) {
      var direction = state.column === i && state.direction === "ascending" ? "descending" : "ascending";
      var sign = direction === "ascending" ? 1 : -1;
      state.column = i;
      state.direction = direction;
      rows.slice().sort(function (a, b) {
        var ka = key(a, i), kb = key(b, i);
        var tie = a.getAttribute("data-index") - b.getAttribute("data-index");
        if (ka === null || kb === null) return ka === kb ? tie : (ka === null ? 1 : -1);
        var c = typeof ka === "string" ? ka.localeCompare(kb) : ka - kb;
        return c === 0 ? tie : sign * c;
      }).forEach(function (row) { body.appendChild(row); });
      heads.forEach(function (th, j) {
        if (j === i) th.setAttribute("aria-sort", direction); else th.removeAttribute("aria-sort");
        th.querySelector(".book-sort-arrow").textContent = j !== i ? "\u2195" : sign > 0 ? "\u25b2" : "\u25bc";
      });
    }

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = Object.keys(state.filters).every(function (i) {
          return !state.filters[i] || text(row.cells[i]) === state.filters[i];
        }) && (!state.search || text(row).toLowerCase().indexOf(state.search) >= 0);
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      status.textContent = (shown === rows.length ? "All " + shown : shown + " of " + rows.length) + " entries shown.";
    }
    apply();
  }

  function start() { document.querySelectorAll("table.book-sortable").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
