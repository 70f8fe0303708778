"""Draw docs/benchmarks.svg from the figures table in docs/benchmarks.md.

Each row of the table is one measure with its figure for the two adapters and their two
anchors (ChatAnyfast beside ChatOpenAI, Anyfast beside OpenAILike); the chart draws, for
each row, the adapter's figure as a fraction of its anchor's, so a bar shorter than the
anchor's line costs less. Standard library only.

    python benchmarks/chart.py            # rewrite docs/benchmarks.svg from the table
    python benchmarks/chart.py --check    # exit 1 if the SVG is not what the table draws

The figures in the table come from benchmarks/README.md (the dated runs); update them
there first, then the table, then run this script.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks.svg"
START, END = "<!-- figures: start -->", "<!-- figures: end -->"
COLUMNS = ("ChatAnyfast", "ChatOpenAI", "Anyfast", "OpenAILike")
# The two pairs drawn: (adapter, its anchor, bar colour).
PAIRS = (("ChatAnyfast", "ChatOpenAI", "#2f6fb3"), ("Anyfast", "OpenAILike", "#d9822b"))

WIDTH = 900
LABEL_WIDTH = 370
PLOT_WIDTH = 430
BAR = 13
ROW = 2 * BAR + 14
TOP = 74


@dataclass(frozen=True)
class Figure:
    """One measure: its label and each implementation's figure (None where not measured);
    ``times`` holds an anchor's figure written as a multiple of its adapter's ("9.78x"),
    as benchmarks/README.md gives some same-run comparisons."""

    measure: str
    values: dict[str, float | None]
    times: dict[str, float]

    def ratio(self, adapter: str, anchor: str) -> float | None:
        if anchor in self.times:
            return 1 / self.times[anchor]
        mine, theirs = self.values[adapter], self.values[anchor]
        return None if mine is None or not theirs else mine / theirs


def read_table(page: str) -> list[Figure]:
    """The figures between the page's markers: a Markdown table whose header names the
    measure then the four implementations; "-" where a figure was not measured."""
    try:
        block = page.split(START, 1)[1].split(END, 1)[0]
    except IndexError:
        raise ValueError(f"docs/benchmarks.md has no {START} ... {END} block") from None
    rows = [_cells(line) for line in block.strip().splitlines() if line.startswith("|")]
    header, body = rows[0], rows[2:]
    if tuple(header[1:]) != COLUMNS:
        raise ValueError(f"the figures table's columns must be measure, {', '.join(COLUMNS)}")
    return [_figure(row[0], dict(zip(COLUMNS, row[1:], strict=True))) for row in body]


def _figure(measure: str, cells: dict[str, str]) -> Figure:
    times = {name: _number(cell[:-1]) for name, cell in cells.items() if cell.endswith("x")}
    values = {name: None if name in times else _number(cell) for name, cell in cells.items()}
    return Figure(measure, values, {name: t for name, t in times.items() if t is not None})


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("**", "") for cell in line.strip().strip("|").split("|")]


def _number(cell: str) -> float | None:
    text = cell.replace(",", "").strip()
    return None if text in ("-", "") else float(text)


def draw(figures: list[Figure], title: str) -> str:
    """The SVG chart: per measure, each adapter's figure over its anchor's."""
    ratios = [f.ratio(a, b) for f in figures for a, b, _ in PAIRS]
    scale_max = max(1.25, *(r for r in ratios if r is not None))
    height = TOP + ROW * len(figures) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        *_legend(),
    ]
    for index, figure in enumerate(figures):
        parts += _row(figure, TOP + ROW * index, scale_max)
    parts += _anchor_line(scale_max, height)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _x(ratio: float, scale_max: float) -> float:
    return LABEL_WIDTH + PLOT_WIDTH * ratio / scale_max


def _legend() -> list[str]:
    parts = []
    for index, (adapter, anchor, colour) in enumerate(PAIRS):
        x = 12 + 300 * index
        parts += [
            f'<rect x="{x}" y="36" width="12" height="12" fill="{colour}"/>',
            f'<text x="{x + 18}" y="46">{adapter} as a fraction of {anchor}</text>',
        ]
    parts.append(
        '<text x="12" y="64" fill="#555555">lower is better; the line at 1 is the anchor</text>'
    )
    return parts


def _row(figure: Figure, y: int, scale_max: float) -> list[str]:
    parts = [
        f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR + 4}" text-anchor="end">'
        f"{escape(figure.measure)}</text>"
    ]
    for index, (adapter, anchor, colour) in enumerate(PAIRS):
        top = y + index * BAR
        ratio = figure.ratio(adapter, anchor)
        if ratio is None:
            parts.append(
                f'<text x="{LABEL_WIDTH + 4}" y="{top + BAR - 3}" fill="#888888" '
                f'font-size="10">{adapter}: not measured</text>'
            )
            continue
        end = _x(ratio, scale_max)
        parts += [
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{end - LABEL_WIDTH:.1f}" '
            f'height="{BAR - 2}" fill="{colour}"/>',
            f'<text x="{end + 4:.1f}" y="{top + BAR - 3}" font-size="10">{ratio:.2f}x</text>',
        ]
    return parts


def _anchor_line(scale_max: float, height: int) -> list[str]:
    x = _x(1.0, scale_max)
    return [
        f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 30}" '
        'stroke="#333333" stroke-dasharray="4 3"/>',
        f'<text x="{x:.1f}" y="{height - 16}" text-anchor="middle">1 (the anchor)</text>',
    ]


def title_of(page: str) -> str:
    """The chart's title: the page's line starting with "Figures of"."""
    for line in page.splitlines():
        if line.startswith("Figures of"):
            return line.rstrip(":.")
    return "Benchmarks"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    page = PAGE.read_text(encoding="utf-8")
    svg = draw(read_table(page), title_of(page))
    if args.check:
        same = CHART.exists() and CHART.read_text(encoding="utf-8") == svg
        print("docs/benchmarks.svg is up to date" if same else "docs/benchmarks.svg is stale")
        return 0 if same else 1
    CHART.write_text(svg, encoding="utf-8")
    print(f"wrote {CHART.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
