"""The dashboard's landing page after sign-in."""

from flask import Blueprint, g, render_template

from linkhub.dashboard.guard import workspace_required

bp = Blueprint("home", __name__)


@bp.get("/")
@workspace_required
def index():
    return render_template("dashboard/home.html", workspace=g.workspace)
