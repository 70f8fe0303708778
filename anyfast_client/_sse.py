"""An incremental server-sent-events decoder: bytes in, events out, no I/O.

Lines may end in CR, LF or CRLF, and a network read may split anywhere, even
between the CR and the LF of one line ending or inside a UTF-8 sequence.
Only the ``data`` field matters on this wire; comments (``: PING``) and the
other fields are read and dropped.
"""

from __future__ import annotations

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed bytes with :meth:`feed`; it returns the ``data`` of each finished event."""

    __slots__ = ("_buffer", "_data", "_scanned", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._data: list[bytes] = []
        # A CR that ended the previous read may be the first half of a CRLF.
        self._skip_lf = False
        # How many buffered bytes are known to hold no line ending: one long
        # line arriving in many small reads is scanned once, not once a read.
        self._scanned = 0

    def feed(self, chunk: bytes) -> list[str]:
        if not chunk:
            return []
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        buffer = self._buffer
        buffer += chunk
        events: list[str] = []
        start = 0
        end = len(buffer)
        scan = self._scanned
        while start < end:
            line_end, next_start = _next_line(buffer, scan, end)
            if line_end < 0:
                break
            if next_start == end and buffer[line_end] == 0x0D:
                self._skip_lf = True
            self._line(bytes(buffer[start:line_end]), events)
            start = scan = next_start
        del buffer[:start]
        self._scanned = len(buffer)
        return events

    def flush(self) -> list[str]:
        """Finish at end of input: a last event without its blank line still counts."""
        events: list[str] = []
        if self._buffer:
            self._line(bytes(self._buffer), events)
            self._buffer.clear()
            self._scanned = 0
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[str]) -> None:
        if not line:
            if self._data:
                events.append(b"\n".join(self._data).decode("utf-8", "replace"))
                self._data = []
            return
        if line.startswith(b"data"):
            field, _, value = line.partition(b":")
            if field == b"data":
                self._data.append(value[1:] if value[:1] == b" " else value)


def _next_line(buffer: bytearray, start: int, end: int) -> tuple[int, int]:
    """Where the first line ending at or after ``start`` is, and where the next line starts."""
    lf = buffer.find(b"\n", start, end)
    cr = buffer.find(b"\r", start, lf if lf >= 0 else end)
    if cr < 0:
        return (lf, lf + 1) if lf >= 0 else (-1, -1)
    if cr + 1 == lf:
        return cr, lf + 1
    return cr, cr + 1
