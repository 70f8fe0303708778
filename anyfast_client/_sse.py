"""An incremental server-sent-events decoder: bytes in, events out, no I/O.

It follows the WHATWG event-stream rules: lines end in CR, LF or CRLF; one
UTF-8 byte order mark is skipped at the very start of the stream; a line
starting with a colon is a comment; an event is dispatched by a blank line,
so an event the stream ends in the middle of is never dispatched (it is
handed back by :meth:`SSEDecoder.flush` for the caller to report). A network
read may split anywhere: between the CR and the LF of one line ending, inside
the byte order mark or inside a UTF-8 sequence. Only the ``data`` field
matters on this wire; the other fields are read and dropped.
"""

from __future__ import annotations

import re

__all__ = ["LineDecoder", "SSEDecoder"]

_BOM = b"\xef\xbb\xbf"
# One pass of the regex engine over the read: linear time whatever the line
# endings (scanning for LF first, then for CR before it, is quadratic on a
# large read of CR-only lines).
_LINE_END = re.compile(rb"\r\n|\r|\n")


class LineDecoder:
    """Bytes in, whole lines out (without their line endings)."""

    __slots__ = ("_partial", "_skip_lf")

    def __init__(self) -> None:
        # Only the unfinished last line is kept between reads, so each byte is
        # scanned once however many reads a long line arrives in.
        self._partial = bytearray()
        # A read that ended in CR may have ended in the middle of a CRLF.
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[bytes]:
        if not chunk:
            return []
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = chunk[-1:] == b"\r"
        lines = _LINE_END.split(chunk) if b"\r" in chunk else chunk.split(b"\n")
        last = lines.pop()
        if lines and self._partial:
            self._partial += lines[0]
            lines[0] = bytes(self._partial)
            self._partial.clear()
        self._partial += last
        return lines

    @property
    def pending(self) -> bool:
        """Whether a line is unfinished (or a CRLF may be split) at the end of the last read."""
        return bool(self._partial) or self._skip_lf

    def flush(self) -> bytes | None:
        """End of input: the last line if it had no line ending, else None."""
        if not self._partial:
            return None
        line = bytes(self._partial)
        self._partial.clear()
        return line


class SSEDecoder:
    """Feed bytes with :meth:`feed_raw`; it returns the ``data`` of each finished event,
    as bytes not yet decoded. Reads made of whole ``data: ...`` events (what a gateway
    sends, one event or many per read) are split at their blank lines in one pass;
    anything else (other fields, comments, CR line endings, an event spread over reads)
    goes line by line.
    """

    __slots__ = ("_data", "_head", "_lines")

    def __init__(self) -> None:
        self._lines = LineDecoder()
        self._data: list[bytes] = []
        # The first bytes, until they show whether the stream starts with a BOM;
        # None once that is settled.
        self._head: bytes | None = b""

    def feed_raw(self, chunk: bytes) -> list[bytes]:
        if self._head is not None:
            chunk = self._skip_bom(chunk)
        if b"\r" in chunk:
            return self._feed_lines(chunk)
        events: list[bytes] = []
        start = 0
        if self._data or self._lines.pending:
            # Finish the event in progress line by line; the rest starts clean.
            start = chunk.find(b"\n\n") + 2
            if start == 1:
                return self._feed_lines(chunk)
            events = self._feed_lines(chunk[:start])
        last = chunk.rfind(b"\n\n")
        if last >= start:
            whole = _whole_events(chunk[start:last])
            if whole is None:
                events += self._feed_lines(chunk[start : last + 2])
            elif events:
                events += whole
            else:
                events = whole
            start = last + 2
        if start < len(chunk):
            events += self._feed_lines(chunk[start:] if start else chunk)
        return events

    def _feed_lines(self, chunk: bytes) -> list[bytes]:
        events: list[bytes] = []
        # The per-line rules of :meth:`_line`, inlined: this loop runs for every
        # line of a read that is not made of whole events.
        for line in self._lines.feed(chunk):
            if not line:
                if self._data:
                    events.append(_join(self._data))
                    self._data = []
            elif line.startswith(b"data"):
                field, _, value = line.partition(b":")
                if field == b"data":
                    self._data.append(value[1:] if value[:1] == b" " else value)
        return events

    def flush(self) -> str | None:
        """End of input: the data of an event cut off before its blank line, or None.

        An unfinished event is not dispatched (WHATWG); what it held so far is
        returned so that the caller can tell a cut stream from a finished one.
        """
        last = self._lines.flush()
        if last:
            self._line(last, [])
        self._head = None
        if not self._data:
            return None
        pending = _join(self._data)
        self._data = []
        return _decode(pending)

    def _skip_bom(self, chunk: bytes) -> bytes:
        head = (self._head or b"") + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head  # maybe a BOM, split across reads
            return b""
        self._head = None
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if not line:
            if self._data:
                events.append(_join(self._data))
                self._data = []
            return
        if line.startswith(b"data"):
            field, _, value = line.partition(b":")
            if field == b"data":
                self._data.append(value[1:] if value[:1] == b" " else value)


def _whole_events(text: bytes) -> list[bytes] | None:
    """The data of events separated by blank lines, each one ``data: `` line; else None."""
    if text[:6] != b"data: ":
        return None
    events = text[6:].split(b"\n\ndata: ")
    # Every line ending is in a separator: no event has a second line or another field.
    return events if text.count(b"\n") == 2 * len(events) - 2 else None


def _join(data: list[bytes]) -> bytes:
    return data[0] if len(data) == 1 else b"\n".join(data)


def _decode(data: bytes) -> str:
    # Invalid UTF-8 becomes U+FFFD, as the WHATWG decoder does, never an error.
    return data.decode("utf-8", "replace")
