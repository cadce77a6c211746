"""Dashboard access: `login_required` sends anonymous visitors to the log-in page and
`role_required` answers 403 for members below a role. Sessions are resolved in auth.py."""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import abort, g, redirect, request, url_for

from linkhub.auth import role_at_least


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("auth_via") != "session":
            return redirect(url_for("dashboard.accounts.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def workspace_required(view: Callable) -> Callable:
    """Signed in and inside a workspace; without one, go create one."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("auth_via") != "session":
            return redirect(url_for("dashboard.accounts.login", next=request.full_path))
        if g.workspace is None:
            return redirect(url_for("dashboard.workspaces.create"))
        return view(*args, **kwargs)

    return wrapper


def require_role(minimum: str) -> None:
    if not role_at_least(g.role, minimum):
        abort(403, f"Your role ({g.role}) cannot do this; it needs {minimum}.")
