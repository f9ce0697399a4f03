"""What every page and table of the views shares: number formats, the variants' colours, the
page style."""

from asyncgap.core.records import CellResult

COLORS = {"sync": "#4C78A8", "async": "#54A24B", "async-blocking": "#E45756", "as-written": "#B279A2"}


CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#666;font-size:.9rem} .warn{background:#fff3cd;padding:.6rem 1rem}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left} .verdict{font-size:1.05rem;line-height:1.5}
.chart{margin:1rem 0} .glance td{white-space:nowrap}
.glance td:nth-last-child(-n+2),.glance th:nth-last-child(-n+2){text-align:left}
.glance td:last-child{white-space:normal} details summary{cursor:pointer;color:#555}
"""


def ok_cells(cells: list[CellResult]) -> list[CellResult]:
    return [c for c in cells if c.ok]


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def rps_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def times(best: float | None, other: float | None) -> str:
    """How many times `other` goes into `best`: '12x', '1.3x' ('n/a' without both)."""
    if not best or not other:
        return "n/a"
    return f"{best / other:,.0f}x" if best / other >= 10 else f"{best / other:,.1f}x"
