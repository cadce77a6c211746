"""/api/settings routes (being built)."""

from flask import Blueprint

bp = Blueprint("settings", __name__)
