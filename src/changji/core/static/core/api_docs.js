/* /api/docs: starts Swagger UI (vendor/swagger-ui, copied by scripts/vendor_assets.py) with the settings the
   page carries as JSON (core/api_docs.py). Calls made from the page with the session send the CSRF token. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  if (csrf) {
    config.requestInterceptor = function (request) {
      request.headers["X-CSRFToken"] = csrf;
      return request;
    };
  }
  window.swaggerUi = SwaggerUIBundle(config);
})();
