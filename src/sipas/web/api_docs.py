"""The API docs page: the bundled Swagger UI (no CDN) reading ``/api/openapi.json``, started by a
static script so that the page is served with the same Content-Security-Policy as any other."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>sipas API</title>
<link rel="stylesheet" href="/vendor/swagger/swagger-ui.css">
<link rel="icon" href="/vendor/swagger/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="/vendor/swagger/swagger-ui-standalone-preset.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/api/docs", include_in_schema=False)
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
