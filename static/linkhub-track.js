/* linkhub client tracking (no dependencies). Keeps the click id that a linkhub redirect put in
   the landing URL (?lw_cid=clk_…) in a first-party cookie (lh_cid, 30 days) and reports leads
   and sales with a publishable key:
     <script src="https://links.example/static/linkhub-track.js" data-key="lh_pub_…" defer></script>
     linkhub.trackLead({customerExternalId: "user_42", email: "ann@example.com"});
     linkhub.trackSale({customerExternalId: "user_42", amount: 49.9, currency: "EUR", orderId: "A-1"});
   or, without data-key: linkhub.init({key: "lh_pub_…", api: "https://links.example"}). */
(function (window, document) {
  "use strict";
  var COOKIE = "lh_cid";
  var PARAM = "lw_cid";
  var MAX_AGE = 30 * 24 * 60 * 60;
  var CLICK_ID = /^clk_[0-9A-Za-z]{16}$/;
  var script = document.currentScript;
  var config = { key: null, api: script ? new URL(script.src, location.href).origin : "" };

  function readCookie() {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === COOKIE) {
        var value = decodeURIComponent(parts[i].slice(eq + 1));
        return CLICK_ID.test(value) ? value : null;
      }
    }
    return null;
  }

  function writeCookie(value) {
    document.cookie = COOKIE + "=" + encodeURIComponent(value) + "; Max-Age=" + MAX_AGE +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  /* The landing URL's lw_cid wins over an older cookie: the newest click gets the credit. */
  function capture() {
    var value = null;
    try { value = new URL(location.href).searchParams.get(PARAM); } catch (e) { /* old browser */ }
    if (value && CLICK_ID.test(value)) { writeCookie(value); }
    return readCookie();
  }

  function post(path, data) {
    if (!config.key) {
      return Promise.reject(new Error("linkhub: call linkhub.init({key: \"lh_pub_…\"}) first"));
    }
    var body = {};
    for (var name in data) { if (Object.prototype.hasOwnProperty.call(data, name)) { body[name] = data[name]; } }
    if (!body.clickId) {
      var clickId = readCookie();
      if (clickId) { body.clickId = clickId; } else { delete body.clickId; }
    }
    return fetch(config.api + path, {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "application/json", "X-Publishable-Key": config.key },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          var error = new Error("linkhub: " + (answer.error ? answer.error.message : response.status));
          error.status = response.status;
          error.body = answer;
          throw error;
        }
        return answer.data;
      });
    });
  }

  var linkhub = {
    init: function (options) {
      options = options || {};
      if (options.key) { config.key = options.key; }
      if (options.api) { config.api = String(options.api).replace(/\/+$/, ""); }
      capture();
      return linkhub;
    },
    clickId: readCookie,
    trackLead: function (data) { return post("/api/track/lead", data || {}); },
    trackSale: function (data) { return post("/api/track/sale", data || {}); }
  };

  capture();
  window.linkhub = linkhub;
  if (script && script.getAttribute("data-key")) {
    linkhub.init({ key: script.getAttribute("data-key"), api: script.getAttribute("data-api") });
  }
})(window, document);
