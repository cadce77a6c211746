"""/api/auth routes (being built)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
