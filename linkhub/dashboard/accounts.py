"""Dashboard accounts pages (being built)."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
