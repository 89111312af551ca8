// The API docs: Swagger UI (served from the installed swagger-ui-bundle-v2) reading the OpenAPI
// document FastAPI serves. A file, not an inline script, so the page keeps the strict policy.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
