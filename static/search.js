/* The header's global search box: `/` or Ctrl+K (Cmd+K) focuses it; typing lists the best hits
   from GET /api/search (the session's workspace is sent as X-Workspace-Id); arrows move, Enter
   opens the highlighted hit or, with none, the full results page; Escape closes. */
(function () {
  "use strict";
  var form = document.querySelector("[data-global-search]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = form.querySelector("[role=listbox]");
  var timer = null, seq = 0, active = -1, hits = [];

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (e) {
    var k = (e.key || "").toLowerCase();
    if ((k === "k" && (e.ctrlKey || e.metaKey)) || (k === "/" && !typing(e.target))) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var items = list.querySelectorAll("[role=option]");
    active = index;
    for (var i = 0; i < items.length; i++) {
      items[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (index >= 0 && items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(found, query) {
    hits = found;
    list.textContent = "";
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "search-none";
      none.textContent = "No matches for “" + query + "”";
      list.appendChild(none);
    }
    found.forEach(function (hit, i) {
      var li = document.createElement("li");
      li.id = "global-search-hit-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var a = document.createElement("a");
      a.href = hit.url;
      a.tabIndex = -1;
      var badge = document.createElement("span");
      badge.className = "badge badge-blue";
      badge.textContent = hit.type;
      var title = document.createElement("span");
      title.className = "search-title";
      title.textContent = hit.title;
      var sub = document.createElement("span");
      sub.className = "search-sub";
      sub.textContent = hit.subtitle;
      a.appendChild(badge);
      a.appendChild(title);
      a.appendChild(sub);
      li.appendChild(a);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("mousemove", function () { highlight(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  function lookup() {
    var query = input.value.trim();
    if (!query) { close(); return; }
    var mine = ++seq;
    var url = form.dataset.api + "?limit=8&q=" + encodeURIComponent(query);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json",
                                                      "X-Workspace-Id": form.dataset.workspace}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (mine !== seq || !body || !body.success) return;  // a newer query is on its way
        render(body.data.hits, query);
      })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 150);
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && hits.length) {
      e.preventDefault();
      if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight((active + 1) % hits.length);
    } else if (e.key === "ArrowUp" && hits.length) {
      e.preventDefault();
      highlight(active <= 0 ? hits.length - 1 : active - 1);
    } else if (e.key === "Enter" && !list.hidden && active >= 0 && hits[active]) {
      e.preventDefault();
      window.location.assign(hits[active].url);
    } else if (e.key === "Escape") {
      if (!list.hidden) { e.preventDefault(); close(); } else { input.blur(); }
    }
  });

  input.addEventListener("blur", function () { setTimeout(close, 100); });
  input.addEventListener("focus", function () { if (input.value.trim() && hits.length) lookup(); });
})();
