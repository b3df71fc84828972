"""The entry point of the process that parses a big import file.

It lives apart from importer.py because a freshly spawned interpreter must set Django
up before it may import any module that defines models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def parse_file(path: str, out: Any, columns: list[str] | None = None) -> None:
    """Parse the file and send its batches to `out`; an exception is sent too, then None."""
    import django

    django.setup()
    from turnout.people.importer import ImportFileError, RowReader

    try:
        reader = RowReader(Path(path), columns)
        reader.open()
        for batch in reader.batches():
            out.put(batch)
    except Exception as exc:  # raised again by the importing process
        out.put(ImportFileError(str(exc)))
    out.put(None)
