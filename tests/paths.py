"""Where the repository is: the demo's matrix, service, locustfiles and scripts."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def demo_matrix_text() -> str:
    """The demo's matrix.toml, its locustfiles made absolute: a copy that tests write elsewhere
    (a matrix's relative paths are relative to its own folder), with the setups it takes from
    asyncgap's shipped matrix written out, so a test can change one."""
    shipped = (ROOT / "asyncgap" / "core" / "default_matrix.toml").read_text()
    setups = shipped[shipped.index("[setups.") : shipped.index("# A profile")]
    demo = (ROOT / "matrix.toml").read_text().replace('locustfile = "', f'locustfile = "{ROOT}/')
    return f"{demo}\n{setups}"
