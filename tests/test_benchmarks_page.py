"""docs/benchmarks.md: its figures are benchmarks/README.md's, and its chart is drawn from them."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "benchmarks.md"
SOURCE = ROOT / "benchmarks" / "README.md"


@pytest.fixture(scope="module")
def chart() -> ModuleType:
    name = "benchmarks_chart"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "chart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_chart_is_what_the_table_draws(chart: ModuleType) -> None:
    page = PAGE.read_text(encoding="utf-8")
    drawn = chart.draw(chart.read_table(page), chart.title_of(page))
    assert (ROOT / "docs" / "benchmarks.svg").read_text(encoding="utf-8") == drawn, (
        "docs/benchmarks.svg is stale: run python benchmarks/chart.py"
    )
    assert "](benchmarks.svg)" in page


def test_the_chart_draws_each_adapter_over_its_anchor(chart: ModuleType) -> None:
    table = """<!-- figures: start -->
| measure | ChatAnyfast | ChatOpenAI | Anyfast | OpenAILike |
|---|---|---|---|---|
| per chunk (µs) | 10 | 40 | **15** | 30 |
| wall (s) | 1,000 | 2,000 | - | - |
| same run (µs) | 10 | 8x | 20 | 2.5x |
<!-- figures: end -->"""
    figures = chart.read_table(table)
    assert [f.ratio("ChatAnyfast", "ChatOpenAI") for f in figures] == [0.25, 0.5, 0.125]
    assert [f.ratio("Anyfast", "OpenAILike") for f in figures] == [0.5, None, 0.4]
    svg = chart.draw(figures, "t")
    assert ">0.25x<" in svg and ">0.50x<" in svg and "Anyfast: not measured" in svg


def test_every_figure_in_the_table_is_one_of_the_measured_ones(chart: ModuleType) -> None:
    source = SOURCE.read_text(encoding="utf-8")
    figures = chart.read_table(PAGE.read_text(encoding="utf-8"))
    assert len(figures) >= 10
    for figure in figures:
        for column, value in figure.values.items():
            if value is None:
                continue
            written = _cell(PAGE.read_text(encoding="utf-8"), figure.measure, column)
            assert re.search(rf"(?<![\d.]){re.escape(written)}(?![\d])", source), (
                f"{figure.measure} / {column}: {written} is not in benchmarks/README.md"
            )


def test_the_script_checks_the_chart_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "chart.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _cell(page: str, measure: str, column: str) -> str:
    header = next(line for line in page.splitlines() if line.startswith("| measure |"))
    row = next(line for line in page.splitlines() if line.startswith(f"| {measure} |"))
    names = [cell.strip() for cell in header.strip("|").split("|")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    return cells[names.index(column)].replace("**", "")
