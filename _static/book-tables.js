/* The book's sortable, filterable tables (lib.page.ledger_html writes them as plain HTML tables with the class
 * "book-sortable"; every cell reads the same without this script).
 *
 *  - each column head becomes a button: the first press sorts the rows ascending, the next descending; the
 *    head's aria-sort says which. Numbers sort by the cell's data-sort value (an empty one sorts last), verdicts
 *    and kinds by the ledger's order, text alphabetically; ties keep the table's own order;
 *  - a menu for each column marked data-filter (verdict, kind, robustness) and a search box above the table show
 *    only the rows that match; a status line says how many;
 *  - buttons, menus and the search box are ordinary form controls: keyboard and screen-reader accessible, and
 *    they wrap on a narrow screen while the table scrolls inside its own box.
 */
(function () {
  "use strict";
  var tables = 0;

  function text(node) {
    return (node.textContent || "").replace(/\s+/g, " ").trim();
  }

  function sortKey(cell, type) {
    if (type === "number" || type === "order") {
      var raw = cell.getAttribute("data-sort");
      if (raw === null || raw === "") return null;
      var value = parseFloat(raw);
      return isNaN(value) ? null : value;
    }
    var t = text(cell).toLowerCase();
    return t === "" || t === "\u2014" ? null : t;
  }

  function element(tag, attrs, content) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (content) el.textContent = content;
    return el;
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length || table.getAttribute("data-enhanced")) return;
    table.setAttribute("data-enhanced", "1");
    tables += 1;
    var prefix = "book-table-" + tables;
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-index", String(i)); });
    var state = {column: -1, direction: "", filters: {}, search: ""};

    // ---- filters: a menu per marked column, a search box, a status line --------------------------------
    var controls = element("div", {"class": "book-table-controls", id: prefix + "-controls"});
    heads.forEach(function (th, i) {
      if (!th.hasAttribute("data-filter")) return;
      var seen = {};
      var values = [];
      rows.forEach(function (row) {
        var cell = row.cells[i];
        var v = text(cell);
        if (!(v in seen)) {
          seen[v] = true;
          values.push({value: v, order: parseFloat(cell.getAttribute("data-sort") || "999")});
        }
      });
      values.sort(function (a, b) { return a.order - b.order || a.value.localeCompare(b.value); });
      var label = element("label", {"for": prefix + "-filter-" + i}, text(th) + " ");
      var select = element("select", {id: prefix + "-filter-" + i, "data-column": String(i)});
      select.appendChild(element("option", {value: ""}, "all"));
      values.forEach(function (v) { select.appendChild(element("option", {value: v.value}, v.value)); });
      select.addEventListener("change", function () {
        state.filters[i] = select.value;
        apply();
      });
      var group = element("span", {"class": "book-table-filter"});
      group.appendChild(label);
      group.appendChild(select);
      controls.appendChild(group);
    });
    var searchLabel = element("label", {"for": prefix + "-search"}, "search ");
    var search = element("input", {id: prefix + "-search", type: "search", placeholder: "claim, quantity, note",
                                    autocomplete: "off"});
    search.addEventListener("input", function () {
      state.search = search.value.trim().toLowerCase();
      apply();
    });
    var group = element("span", {"class": "book-table-filter"});
    group.appendChild(searchLabel);
    group.appendChild(search);
    controls.appendChild(group);
    var status = element("p", {"class": "book-table-status", role: "status", "aria-live": "polite"});
    controls.appendChild(status);
    var box = table.closest(".book-table-wrap") || table;
    box.parentNode.insertBefore(controls, box);

    // ---- sorting: a button in each column head -------------------------------------------------------------
    heads.forEach(function (th, i) {
      var button = element("button", {type: "button", "class": "book-sort"});
      while (th.firstChild) button.appendChild(th.firstChild);
      button.appendChild(element("span", {"class": "book-sort-arrow", "aria-hidden": "true"}, "\u2195"));
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(i); });
    });

    function sortBy(i) {
      var direction = state.column === i && state.direction === "ascending" ? "descending" : "ascending";
      state.column = i;
      state.direction = direction;
      var type = heads[i].getAttribute("data-sort-type") || "text";
      var sign = direction === "ascending" ? 1 : -1;
      var order = rows.slice().sort(function (a, b) {
        var ka = sortKey(a.cells[i], type), kb = sortKey(b.cells[i], type);
        var tie = parseInt(a.getAttribute("data-index"), 10) - parseInt(b.getAttribute("data-index"), 10);
        if (ka === null || kb === null) return ka === kb ? tie : (ka === null ? 1 : -1);
        var c = type === "text" ? ka.localeCompare(kb) : ka - kb;
        return c === 0 ? tie : sign * c;
      });
      order.forEach(function (row) { body.appendChild(row); });
      heads.forEach(function (th, j) {
        var arrow = th.querySelector(".book-sort-arrow");
        if (j === i) {
          th.setAttribute("aria-sort", direction);
          arrow.textContent = direction === "ascending" ? "\u25b2" : "\u25bc";
        } else {
          th.removeAttribute("aria-sort");
          arrow.textContent = "\u2195";
        }
      });
    }

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = Object.keys(state.filters).every(function (i) {
          var wanted = state.filters[i];
          return !wanted || text(row.cells[i]) === wanted;
        });
        if (keep && state.search) keep = text(row).toLowerCase().indexOf(state.search) >= 0;
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      status.textContent = shown === rows.length ? "All " + rows.length + " entries shown."
        : shown + " of " + rows.length + " entries shown.";
    }

    apply();
  }

  function start() {
    document.querySelectorAll("table.book-sortable").forEach(enhance);
  }

  window.bookTables = {enhance: enhance};  // for tests
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
