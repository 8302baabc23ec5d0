"""riskapp: vendor and hosting risk assessment for healthcare privacy teams."""

from riskapp.app import create_app

__all__ = ["create_app"]
