/* Exports page: only the chosen type's column checkboxes are shown, and while an export is
   pending or processing its row is refreshed from GET /api/exports/{id} every two seconds;
   when one finishes the page reloads once to show its download link. */
(function () {
  "use strict";
  var form = document.querySelector("[data-export-form]");
  if (form) {
    var type = form.querySelector("select[name='type']");
    var showColumns = function () {
      form.querySelectorAll("[data-columns-for]").forEach(function (group) {
        group.style.display = group.dataset.columnsFor === type.value ? "" : "none";
      });
    };
    type.addEventListener("change", showColumns);
    showColumns();
  }

  var table = document.querySelector("[data-exports]");
  if (!table || !table.hasAttribute("data-running")) return;
  var running = function () {
    return Array.prototype.filter.call(table.querySelectorAll("tr[data-export]"), function (row) {
      return row.dataset.status === "pending" || row.dataset.status === "processing";
    });
  };

  function poll() {
    var rows = running();
    if (!rows.length) return;
    Promise.all(rows.map(function (row) {
      return fetch("/api/exports/" + row.dataset.export, {
        credentials: "same-origin",
        headers: {"Accept": "application/json", "X-Workspace-Id": table.dataset.workspace}
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
        if (!body || !body.success) return false;
        var data = body.data;
        row.querySelector("[data-export-status]").textContent = data.status;
        row.querySelector("[data-export-rows]").textContent = data.rowsWritten.toLocaleString("en-US");
        return data.status !== "pending" && data.status !== "processing";
      }).catch(function () { return false; });
    })).then(function (finished) {
      if (finished.some(Boolean)) { window.location.reload(); return; }
      setTimeout(poll, 2000);
    });
  }
  setTimeout(poll, 1000);
})();
