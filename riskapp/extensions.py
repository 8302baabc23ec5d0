"""Flask extensions, created unbound and bound to the app in the factory."""

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from riskapp.database import db

login_manager = LoginManager()
csrf = CSRFProtect()

__all__ = ["csrf", "db", "login_manager"]
