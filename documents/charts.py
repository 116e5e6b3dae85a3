"""Charts of the report's figures (matplotlib, no pyplot, imported at the first drawing): by unit, by category,
and the lights.

SVG for the report page, PNG for the Word and PDF documents. Output is deterministic: fixed hash salt,
no date in the metadata, text drawn as paths from one explicit font file, so the same figures give the
same bytes in every process.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from documents import fonts
from documents.labels import LIGHT_COLOURS, LIGHT_NAMES, category_name, rate
from domain.charter import UNITS_BY_CODE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {"lead": "#9E9E9E", "completed": "#1E88E5", "on_time": "#43A047", "assigned": "#9E9E9E",
           "overdue": "#E53935"}
CHARTS = ("units", "categories", "lights")
TITLES = {"units": "各成员单位牵头事项办结情况", "categories": "各类别督办事项推进情况", "lights": "在办事项红黄绿灯分布"}


def _style() -> dict[str, Any]:
    from matplotlib import font_manager

    face = fonts.face("sans")
    if face.family not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(face.path))
    return {"font.family": face.family, "font.size": 9, "svg.fonttype": "path", "svg.hashsalt": "coordination-ledger",
            "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False}


def _units(fig: Figure, report: dict[str, Any]) -> None:
    rows = list(reversed(report["units"]))  # the charter's order, top to bottom
    names = [UNITS_BY_CODE[r["unit"]].short_name if r["unit"] in UNITS_BY_CODE else r["unit"] for r in rows]
    ax = fig.add_subplot()
    positions = range(len(rows))
    height = 0.27
    ax.barh([p + height for p in positions], [r["lead_tasks"] for r in rows], height, label="牵头事项",
            color=COLOURS["lead"])
    ax.barh(list(positions), [r["completed"] for r in rows], height, label="办结", color=COLOURS["completed"])
    ax.barh([p - height for p in positions], [r["completed_on_time"] for r in rows], height, label="按期办结",
            color=COLOURS["on_time"])
    widest = max([r["lead_tasks"] for r in rows] + [1])
    for p, r in zip(positions, rows):
        if r["on_time_rate"] is not None:
            ax.text(max(r["lead_tasks"], r["completed"]) + widest * 0.02, p, f"按期率 {rate(r['on_time_rate'])}",
                    va="center", fontsize=7)
    ax.set_yticks(list(positions), names)
    ax.set_xlim(0, widest * 1.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("事项数(项)")
    fig.legend(loc="outside lower center", ncols=3, frameon=False)
    ax.set_title(TITLES["units"])


def _categories(fig: Figure, report: dict[str, Any]) -> None:
    rows = report["categories"]
    ax = fig.add_subplot()
    width = 0.27
    positions = list(range(len(rows)))
    for offset, key, label in ((-width, "assigned", "交办"), (0, "completed", "办结"), (width, "overdue", "逾期")):
        ax.bar([p + offset for p in positions], [r[key] for r in rows], width, label=label, color=COLOURS[key])
    ax.set_xticks(positions, [_wrap(category_name(r["category"]), 6) for r in rows], fontsize=7.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("事项数(项)")
    ax.legend(frameon=False)
    ax.set_title(TITLES["categories"])


def _lights(fig: Figure, report: dict[str, Any]) -> None:
    lights = report["lights"]
    order = ("red", "yellow", "green")
    ax = fig.add_subplot()
    bars = ax.bar([LIGHT_NAMES[k] for k in order], [lights[k] for k in order],
                  color=[f"#{LIGHT_COLOURS[k]}" for k in order], width=0.5)
    ax.bar_label(bars, [f"{lights[k]} 项" for k in order])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max([lights[k] for k in order] + [1]) * 1.2)
    ax.set_ylabel("在办事项(项)")
    ax.set_title(TITLES["lights"])


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


DRAW = {"units": (_units, (6.3, 8.2)), "categories": (_categories, (6.3, 3.4)), "lights": (_lights, (4.2, 2.8))}


def available(report: dict[str, Any]) -> tuple[str, ...]:
    """The charts this report has figures for (a report issued before lights were counted has none of them)."""
    return tuple(name for name in CHARTS if name != "lights" or "lights" in report)


DRAWN_KEPT = 96
_drawn: OrderedDict[tuple[str, str, str, int], bytes] = OrderedDict()
_drawn_lock = threading.Lock()


def render(report: dict[str, Any], name: str, fmt: str = "svg", dpi: int = 200) -> bytes:
    """One chart as SVG or PNG bytes.

    Drawn once per (figures, chart, format) in a process and kept (the last DRAWN_KEPT): matplotlib takes
    about 0.3 s a chart, and the report page, the Word document and the PDF of the same figures show the same
    charts. The output depends on the figures alone, so a kept drawing is the drawing.
    """
    key = (json.dumps(report, sort_keys=True, ensure_ascii=False, default=str), name, fmt, dpi)
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    drawing = _draw(report, name, fmt, dpi)
    with _drawn_lock:
        _drawn[key] = drawing
        while len(_drawn) > DRAWN_KEPT:
            _drawn.popitem(last=False)
    return drawing


def _draw(report: dict[str, Any], name: str, fmt: str, dpi: int) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    draw, size = DRAW[name]
    with matplotlib.rc_context(_style()):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig, report)
        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, dpi=dpi, metadata=metadata)
    return out.getvalue()


def svg(report: dict[str, Any], name: str) -> str:
    """An SVG for inline use in a page (without the XML prolog and doctype)."""
    text = render(report, name, "svg").decode("utf-8")
    return text[text.index("<svg"):]
