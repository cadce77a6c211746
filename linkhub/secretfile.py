"""Per-install secrets (session signing key, hashing key), generated on first start into
<data dir>/secrets.json with mode 0600 and never written anywhere else."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

FILENAME = "secrets.json"
NAMES = ("session_key", "hashing_key", "encryption_key")


def load_or_create(data_dir: str | Path) -> dict[str, str]:
    path = Path(data_dir) / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    values: dict[str, str] = {}
    if path.exists():
        values = json.loads(path.read_text())
    missing = [name for name in NAMES if not values.get(name)]
    if missing:
        for name in missing:
            values[name] = secrets.token_hex(32)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(values, fh, indent=2)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return values
