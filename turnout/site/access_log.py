"""The web server's access log, with the keys in Turnout's private links left out (`core.private_links`)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from turnout.core.private_links import redact


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with every part of a log line that holds a URL redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q", "f", "{referer}i"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
