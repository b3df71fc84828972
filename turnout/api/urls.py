"""Routes under /api/v2/, built from the route table in routes.py (which also builds the OpenAPI
document's paths). Every route takes an optional trailing slash (clients differ)."""

from turnout.api import routes

app_name = "api_v2"
urlpatterns = routes.urlpatterns()
