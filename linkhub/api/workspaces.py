"""/api/workspaces routes (being built)."""

from flask import Blueprint

bp = Blueprint("workspaces", __name__)
