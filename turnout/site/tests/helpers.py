"""Running Turnout's own command line against the test database, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

REPO = Path(__file__).resolve().parents[3]


def database_url_for_children() -> str:
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    return f"postgres://{conf['USER']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def turnout(*args: str, env: dict[str, str] | None = None, timeout: int = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run `turnout ARGS` in a child process and return what it printed."""
    full_env = {**os.environ, "DATABASE_URL": database_url_for_children(), **(env or {})}
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run([sys.executable, "-m", "turnout", *args], env=full_env, cwd=kwargs.pop("cwd", REPO),
                          capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
