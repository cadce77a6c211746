/* Starts the bundled Swagger UI on /api/docs: no CDN, no online validator. A signed-in
   session's CSRF token (meta tag) is added to "Try it out" requests that change state. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (req) {
      if (meta && req.method && !/^(GET|HEAD|OPTIONS)$/i.test(req.method)) {
        req.headers["X-CSRF-Token"] = meta.getAttribute("content");
      }
      return req;
    }
  });
})();
