"""Server-sent events (the stream an OpenAI-compatible server answers ``"stream": true`` with).

The parts of the WHATWG event-stream format these servers use: ``data:``
lines (several make one event, joined by newlines), ``event:`` names,
comments (``:`` keep-alives, which llama.cpp and sse-starlette send), and a
blank line that ends an event. Small enough that a dependency would cost
more than it saves; httpx hands us the decoded lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    data: str
    event: str = "message"


def events(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a stream, given its lines (without their line ends); a last unterminated one too."""
    data: list[str] = []
    name = ""
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            if data:
                yield Event("\n".join(data), name or "message")
            data, name = [], ""
            continue
        if line.startswith(":"):
            continue  # a comment: a keep-alive
        field_name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field_name == "data":
            data.append(value)
        elif field_name == "event":
            name = value
        # "id" and "retry" mean nothing for a one-shot answer
    if data:
        yield Event("\n".join(data), name or "message")
