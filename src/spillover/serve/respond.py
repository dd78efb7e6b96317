"""Answers that always encode: JSON and HTML bodies are valid UTF-8 whatever the data holds.

A string from a request or a file can hold lone surrogates (``"\\ud800"``), which UTF-8
cannot encode, and a table can hold NaN, which JSON cannot. Starlette's own response
then raises and the client gets a 500. Here such a string is shown with U+FFFD in place
of the surrogate, and a non-finite number as ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse

from spillover.serve.check import scrub

__all__ = ["SafeHTMLResponse", "SafeJSONResponse", "clean"]


def clean(value: Any) -> Any:
    """``value`` with strings scrubbed of surrogates and non-finite floats as None.

    >>> clean({"a\\ud800": [float("nan"), 1.5, "x"]})
    {'a�': [None, 1.5, 'x']}
    """
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: surrogates become U+FFFD, NaN and infinities null."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (UnicodeEncodeError, ValueError):
            return json.dumps(clean(content), ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")


class SafeHTMLResponse(HTMLResponse):
    """HTML that always encodes: lone surrogates are shown as U+FFFD."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, str):
            try:
                return content.encode("utf-8")
            except UnicodeEncodeError:
                return scrub(content).encode("utf-8")
        return bytes(super().render(content))
