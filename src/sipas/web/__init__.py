"""The web application (FastAPI): public results, the PAR workspace, accounts."""

from sipas.web.app import create_app

__all__ = ["create_app"]
