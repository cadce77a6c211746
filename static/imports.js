/* Imports: a preview of the chosen CSV file (first rows, read in the browser) that fills the
   column-mapping selects with the file's headers and shows which column "Automatic" will use;
   and the progress of an import job, polling GET /api/links/import/jobs/{id} every second
   while it is pending or processing, then reloading once to show the skipped/failed rows. */
(function () {
  "use strict";

  function normal(text) { return text.toLowerCase().replace(/[^a-z0-9]/g, ""); }

  function decode(buffer) {
    var bytes = new Uint8Array(buffer);
    var encoding = "utf-8";
    if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
    return new TextDecoder(encoding).decode(bytes).replace(/^\ufeff/, "");
  }

  function records(text, wanted) {
    var out = [], row = [], cell = "", quoted = false, i = 0;
    for (; i < text.length && out.length < wanted; i++) {
      var ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
        else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") { row.push(cell); cell = ""; }
      else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); cell = "";
        if (row.some(function (c) { return c.trim(); })) out.push(row);
        row = [];
      } else cell += ch;
    }
    if (out.length < wanted && (cell || row.length)) { row.push(cell); out.push(row); }
    return out;
  }

  function cellRow(tag, cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (text) {
      var td = document.createElement(tag);
      td.textContent = text;
      tr.appendChild(td);
    });
    return tr;
  }

  function fillMapping(form, headers) {
    var grid = form.querySelector("[data-aliases]");
    var aliases = JSON.parse(grid.dataset.aliases);
    var byNormal = {};
    headers.forEach(function (h) { if (!(normal(h) in byNormal)) byNormal[normal(h)] = h; });
    form.querySelectorAll("select[data-map-field]").forEach(function (select) {
      var name = select.dataset.mapField;
      var chosen = select.value;
      while (select.options.length > 2) select.remove(2);
      headers.forEach(function (h) {
        if (!h.trim()) return;
        var option = new Option(h, h);
        select.add(option);
      });
      if (chosen && headers.indexOf(chosen) >= 0) select.value = chosen;
      var guess = [normal(name)].concat(aliases[name] || []).map(function (a) {
        return byNormal[a];
      }).filter(Boolean)[0];
      select.options[0].text = guess ? "Automatic: " + guess : "Automatic: none";
    });
  }

  var csvForm = document.querySelector("[data-csv-form]");
  if (csvForm) {
    var input = csvForm.querySelector("input[type=file]");
    var preview = csvForm.querySelector("[data-csv-preview]");
    var table = csvForm.querySelector("[data-preview-table]");
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      table.textContent = "";
      if (!file) { preview.hidden = true; return; }
      file.slice(0, 65536).arrayBuffer().then(function (buffer) {
        var rows = records(decode(buffer), 6);
        if (!rows.length) { preview.hidden = true; return; }
        var head = document.createElement("thead");
        head.appendChild(cellRow("th", rows[0]));
        var body = document.createElement("tbody");
        rows.slice(1).forEach(function (r) { body.appendChild(cellRow("td", r)); });
        table.appendChild(head);
        table.appendChild(body);
        preview.hidden = false;
        fillMapping(csvForm, rows[0]);
        csvForm.querySelector("[data-mapping]").open = true;
      });
    });
  }

  var card = document.querySelector("[data-import-job]");
  if (!card || card.dataset.active !== "true") return;
  var bar = card.querySelector("[data-progress-bar]");
  var text = card.querySelector("[data-progress-text]");
  var status = card.querySelector("[data-import-status]");

  function show(job) {
    if (job.progress === null) {
      bar.removeAttribute("value");
      text.textContent = job.processed + " rows";
    } else {
      bar.value = job.progress;
      text.textContent = job.progress + "%";
    }
    status.textContent = job.status;
    ["processed", "created", "skipped", "failed"].forEach(function (name) {
      var cell = card.querySelector("[data-count='" + name + "']");
      if (cell) cell.textContent = String(job[name]);
    });
  }

  function poll() {
    fetch(card.dataset.statusUrl, {credentials: "same-origin",
                                   headers: {"Accept": "application/json",
                                             "X-Workspace-Id": card.dataset.workspace}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.success) { setTimeout(poll, 3000); return; }
        show(body.data);
        if (body.data.status === "pending" || body.data.status === "processing") {
          setTimeout(poll, 1000);
        } else {
          setTimeout(function () { window.location.reload(); }, 400);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
