/* Bulk operations: "select all" in the link picker, and the progress bar of an operation that
   polls GET /api/bulk/operations/{id} every second while it is pending or processing, then
   reloads the page once to show the per-row errors. */
(function () {
  "use strict";
  var all = document.querySelector("[data-check-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".bulk-pick-list input[name='pick-link_ids']").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  var card = document.querySelector("[data-bulk-op]");
  if (!card || card.dataset.active !== "true") return;
  var bar = card.querySelector("[data-progress-bar]");
  var text = card.querySelector("[data-progress-text]");
  var status = card.querySelector("[data-op-status]");

  function show(op) {
    bar.setAttribute("aria-valuenow", String(op.progress));
    bar.firstElementChild.style.width = op.progress + "%";
    text.textContent = op.progress + "%";
    status.textContent = op.status;
    ["processed", "succeeded", "failed"].forEach(function (name) {
      var cell = card.querySelector("[data-count='" + name + "']");
      if (cell) cell.textContent = String(op[name]);
    });
  }

  function poll() {
    fetch(card.dataset.statusUrl, {credentials: "same-origin",
                                   headers: {"Accept": "application/json",
                                             "X-Workspace-Id": card.dataset.workspace}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.success) { setTimeout(poll, 3000); return; }
        var op = body.data;
        show(op);
        if (op.status === "pending" || op.status === "processing") {
          setTimeout(poll, 1000);
        } else {
          bar.classList.add("done");
          setTimeout(function () { window.location.reload(); }, 600);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
