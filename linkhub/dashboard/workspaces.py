"""Dashboard workspaces pages (being built)."""

from flask import Blueprint

bp = Blueprint("workspaces", __name__)
