"""QR benchmark: codes per second on one core, beside the ``qrcode`` library's defaults.

Each run draws ``--codes`` distinct serial-level Digital Link URIs (base URL, a GTIN-14, a
lot and a serial, ~70 characters: version 4 at level M) and times, one after the other in
the same process:

1. ``matrix``: :func:`traceability.printing.qr.qr_matrix` (one symbol built, eight masks
   scored on big integers) beside ``qrcode.QRCode(); add_data; make(); get_matrix()``, which
   builds and scores the symbol once per mask.
2. ``png``: matrix + :func:`png_bytes` (1-bit, 8 px a module) beside ``qrcode.make(uri)``
   saved as PNG (its default PIL image).
3. ``svg``: matrix + :func:`svg_text` beside ``qrcode.make(uri, image_factory=SvgPathImage)``.
4. ``labels``: :func:`traceability.printing.label_sheet.label_sheet` of the same URIs (A4 PDF,
   24 labels a page, vector modules and three caption lines each), no baseline.

Each figure is the median of ``--runs`` runs; the order of ours and the default alternates
between runs. Before timing, the symbols of the first URIs are checked against the ones
``qrcode`` builds with the same mask, so a fast wrong answer cannot pass.

    python -m bench.qr [--runs 3] [--codes 500] [--ecc M]
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version

import qrcode
from qrcode.image.svg import SvgPathImage
from rich.console import Console
from rich.table import Table

from traceability.printing.label_sheet import Label, label_sheet
from traceability.printing.qr import ErrorCorrection, png_bytes, qr_matrix, svg_text

GOAL_CODES_PER_S = 300.0
BASE_URL = "https://truyxuat.gov.vn"
GTIN = "08930000100013"
LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def uris(count: int, start: int = 0) -> list[str]:
    return [f"{BASE_URL}/01/{GTIN}/10/ST25-261124/21/{start + i:08d}" for i in range(count)]


def check(sample: Sequence[str], ecc: ErrorCorrection) -> None:
    """Our symbols are qrcode's own with the mask we chose; raises if not."""
    for uri in sample:
        ours = qr_matrix(uri, ecc)
        code = qrcode.QRCode(error_correction=LEVELS[ecc], mask_pattern=ours.mask, border=0)
        code.add_data(uri)
        code.make(fit=True)
        rows = tuple("".join("1" if m else "0" for m in row) for row in code.modules)
        if rows != ours.rows:
            raise RuntimeError(f"the fast symbol of {uri} differs from qrcode's")


def rate(work: Callable[[str], object], items: Sequence[str]) -> float:
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def default_matrix(uri: str, ecc: ErrorCorrection) -> object:
    code = qrcode.QRCode(error_correction=LEVELS[ecc])
    code.add_data(uri)
    code.make()
    return code.get_matrix()


def default_png(uri: str, ecc: ErrorCorrection) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(uri, error_correction=LEVELS[ecc]).save(buffer)
    return buffer.getvalue()


def default_svg(uri: str, ecc: ErrorCorrection) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(uri, error_correction=LEVELS[ecc], image_factory=SvgPathImage).save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Pair:
    ours: float
    default: float | None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.default if self.default else None


def measure(args: argparse.Namespace, run: int) -> dict[str, Pair]:
    ecc: ErrorCorrection = args.ecc
    # Fresh URIs each run: nothing is served from a cache of an earlier run.
    items = uris(args.codes, start=run * args.codes)
    parts: dict[str, tuple[Callable[[str], object], Callable[[str], object] | None]] = {
        "matrix": (lambda u: qr_matrix(u, ecc), lambda u: default_matrix(u, ecc)),
        "png": (lambda u: png_bytes(qr_matrix(u, ecc), 8), lambda u: default_png(u, ecc)),
        "svg": (lambda u: svg_text(qr_matrix(u, ecc), 8), lambda u: default_svg(u, ecc)),
    }
    out: dict[str, Pair] = {}
    for name, (ours, default) in parts.items():
        if run % 2 == 0:
            mine = rate(ours, items)
            theirs = rate(default, items) if default else None
        else:
            theirs = rate(default, items) if default else None
            mine = rate(ours, items)
        out[name] = Pair(mine, theirs)
    labels = [Label(u, (f"(01) {GTIN}", "(10) ST25-261124", f"(21) {u[-8:]}")) for u in items]
    start = time.perf_counter()
    label_sheet(labels, ecc=ecc)
    out["labels"] = Pair(len(labels) / (time.perf_counter() - start), None)
    return out


def verdict_at_least(value: float, goal: float) -> str:
    if value >= goal:
        return f"met ({value / goal:.2f}x the goal)"
    return f"NOT met: {value:,.0f}/s is {(1 - value / goal) * 100:.0f}% below {goal:,.0f}/s"


def report(console: Console, args: argparse.Namespace, runs: list[dict[str, Pair]]) -> str:
    table = Table(title=f"QR benchmark, {args.codes:,} codes a run, medians of {len(runs)} runs")
    for column in ("measure", "ours, codes/s", "qrcode defaults, same run", "ratio", "goal"):
        table.add_column(column)
    names = {
        "matrix": "module matrix (version, mask)",
        "png": "matrix + 1-bit PNG, 8 px/module",
        "svg": "matrix + SVG, one path",
        "labels": "A4 label sheet (PDF), labels/s",
    }
    summary = []
    for key, title in names.items():
        ours = statistics.median(r[key].ours for r in runs)
        defaults = [d for r in runs if (d := r[key].default) is not None]
        ratios = [x for r in runs if (x := r[key].ratio) is not None]
        table.add_row(
            f"{title}, level {args.ecc}",
            f"{ours:,.0f}",
            f"{statistics.median(defaults):,.0f}" if defaults else "",
            f"{statistics.median(ratios):.1f}x" if ratios else "",
            verdict_at_least(ours, GOAL_CODES_PER_S) if key == "png" else "",
        )
        summary.append(f"{key} {ours:,.0f}/s")
    console.print(table)
    per_run = " | ".join(
        f"run {i + 1}: png {r['png'].ours:,.0f} vs {r['png'].default or 0:,.0f}"
        for i, r in enumerate(runs)
    )
    console.print(per_run)
    return ", ".join(summary)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.qr", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs; figures are their medians")
    parser.add_argument("--codes", type=int, default=500, help="distinct codes a run")
    parser.add_argument("--ecc", choices=tuple(LEVELS), default="M", help="error correction")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(
        f"{date.today().isoformat()}, Python {platform.python_version()}, "
        f"qrcode {version('qrcode')}, {platform.machine()}, one core (one thread)"
    )
    started = time.perf_counter()
    check(uris(20, start=10**7), args.ecc)
    runs = [measure(args, run) for run in range(args.runs)]
    summary = report(console, args, runs)
    print(f"bench.qr: {summary} [{time.perf_counter() - started:.0f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
