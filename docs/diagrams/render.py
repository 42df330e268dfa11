"""Render the documentation's diagrams: ``docs/diagrams/*.json`` -> ``docs/img/*.svg``.

A source lists boxes, arrows, lines and labels in the coordinates of the picture (a viewBox of
``width`` x ``height``). The SVG keeps its text as ``<text>`` in generic font families, draws on
its own background, and switches to a dark palette under ``prefers-color-scheme: dark``.
Standard library only, and the same source always gives the same bytes, so a test checks that
the committed SVGs are up to date::

    python docs/diagrams/render.py          # rewrite docs/img/*.svg
    python docs/diagrams/render.py --check  # exit 1, naming them, when any is out of date

Source format (JSON, so Python 3.10 reads it without a dependency)::

    {"title": "...", "description": "...", "width": 840, "height": 400,
     "boxes": [{"id": "a", "x": 20, "y": 20, "w": 240, "h": 90, "style": "step",
                "title": "Record", "lines": ["text with `code`"], "align": "start"}],
     "arrows": [{"from": "a.right", "to": "b.left", "via": [[x, y]], "label": ["..."],
                 "label_at": [x, y], "style": "dashed"}],
     "lines": [{"points": [[x, y], [x, y]], "style": "marker"}],
     "labels": [{"x": 0, "y": 0, "text": ["..."], "anchor": "start", "style": "note"}]}

Box styles are the keys of ``STYLES``; an arrow or line is ``solid``, ``dashed`` or ``marker``
(a red dashed rule); a label is a muted ``note`` or plain ``text``.

An end of an arrow is ``[x, y]`` or ``"box.side"`` (``left``, ``right``, ``top``, ``bottom``),
optionally ``"box.side@0.25"`` for a point a quarter of the way along that side. Text between
backticks is set in the monospace family. A line of text wider than its box is an error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "img"

FONT = 13  # body text, px
TITLE_FONT = 14
SMALL_FONT = 12
LINE_HEIGHT = 1.45
PAD = 12
HEAD = 9  # arrowhead length
_ANCHORS = ("start", "middle", "end")

# Colours: (stroke, fill) per style, mid-tones that read on both palettes; fills are tints.
STYLES = {
    "step": "#3b7dd8",
    "store": "#c08a1a",
    "check": "#2f9e5b",
    "patch": "#8a5cd0",
    "fail": "#d1453b",
    "neutral": "#7d8590",
    "llm": "#3b7dd8",
    "tool": "#2f9e5b",
    "root": "#7d8590",
}
LIGHT = {"bg": "#ffffff", "fg": "#1f2328", "muted": "#59636e", "line": "#6e7781"}
DARK = {"bg": "#0d1117", "fg": "#e6edf3", "muted": "#9198a1", "line": "#8b949e"}
_CSS = (
    "@media (prefers-color-scheme: dark) {"
    f" .bg {{ fill: {DARK['bg']}; }}"
    f" .fg {{ fill: {DARK['fg']}; }}"
    f" .muted {{ fill: {DARK['muted']}; }}"
    f" .halo {{ stroke: {DARK['bg']}; }}"
    f" .wire {{ stroke: {DARK['line']}; }}"
    f" .head {{ fill: {DARK['line']}; }}"
    " }"
)


@dataclass(frozen=True)
class Box:
    id: str
    x: float
    y: float
    w: float
    h: float
    style: str
    title: str
    lines: tuple[str, ...]
    align: str

    def anchor(self, side: str, at: float) -> tuple[float, float]:
        if side == "left":
            return self.x, self.y + self.h * at
        if side == "right":
            return self.x + self.w, self.y + self.h * at
        if side == "top":
            return self.x + self.w * at, self.y
        if side == "bottom":
            return self.x + self.w * at, self.y + self.h
        raise ValueError(f"box {self.id!r}: unknown side {side!r} (left, right, top, bottom)")


def _num(value: float) -> str:
    """A coordinate as short, stable text: ``12``, ``12.5``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _segments(text: str) -> list[tuple[str, bool]]:
    """``text`` split at backticks: (part, is_code) pairs."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced backticks in {text!r}")
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An upper estimate of the rendered width: generic fonts are not known in advance."""
    width = 0.0
    for part, code in _segments(text):
        width += len(part) * size * (0.61 if code or bold else 0.56)
    return width


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = FONT,
    css: str = "fg",
    anchor: str = "start",
    bold: bool = False,
    halo: bool = False,
) -> str:
    if anchor not in _ANCHORS:
        raise ValueError(f"text {text!r}: unknown anchor {anchor!r} ({', '.join(_ANCHORS)})")
    colour = LIGHT["muted"] if css == "muted" else LIGHT["fg"]
    attrs = [
        f'x="{_num(x)}"',
        f'y="{_num(y)}"',
        f'class="{css}{" halo" if halo else ""}"',
        f'fill="{colour}"',
        f'font-size="{_num(size)}"',
    ]
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if bold:
        attrs.append('font-weight="bold"')
    if halo:
        attrs.append(f'stroke="{LIGHT["bg"]}" stroke-width="4" paint-order="stroke"')
    body = "".join(
        f'<tspan font-family="monospace">{escape(part)}</tspan>' if code else escape(part)
        for part, code in _segments(text)
    )
    return f"<text {' '.join(attrs)}>{body}</text>"


def _fits(text: str, x: float, size: float, anchor: str, width: float) -> bool:
    """Whether a free-standing line stays inside the picture (its width estimated)."""
    extent = text_width(text, size)
    left = x - {"start": 0.0, "middle": extent / 2, "end": extent}.get(anchor, 0.0)
    return left >= 0 and left + extent <= width


def _box(box: Box, problems: list[str]) -> list[str]:
    colour = STYLES.get(box.style)
    if colour is None:
        raise ValueError(f"box {box.id!r}: unknown style {box.style!r} ({', '.join(STYLES)})")
    frame = (
        f'x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" rx="6"'
    )
    out = [  # an opaque underlay first: lines passing behind a box do not cross its text
        f'<rect {frame} class="bg" fill="{LIGHT["bg"]}"/>',
        f'<rect {frame} fill="{colour}" fill-opacity="0.14" stroke="{colour}" stroke-width="1.5"/>',
    ]
    rows: list[tuple[str, float, bool]] = []
    if box.title:
        rows.append((box.title, TITLE_FONT, True))
    rows.extend((line, FONT, False) for line in box.lines)
    height = sum(size * LINE_HEIGHT for _, size, _ in rows)
    if height > box.h + 1:
        problems.append(f"box {box.id!r}: {len(rows)} lines need {height:.0f}px, box is {box.h}")
    y = box.y + (box.h - height) / 2
    for text, size, bold in rows:
        width = text_width(text, size, bold)
        if width > box.w - 2 * PAD + 1:
            problems.append(f"box {box.id!r}: {text!r} needs ~{width:.0f}px, box is {box.w}")
        y += size * LINE_HEIGHT
        baseline = y - size * (LINE_HEIGHT - 1) / 2 - size * 0.2
        if box.align not in ("start", "middle"):
            raise ValueError(f"box {box.id!r}: align is start or middle, not {box.align!r}")
        if box.align == "middle":
            out.append(
                _text(box.x + box.w / 2, baseline, text, size=size, anchor="middle", bold=bold)
            )
        else:
            out.append(_text(box.x + PAD, baseline, text, size=size, bold=bold))
    return out


def _point(spec: Any, boxes: dict[str, Box]) -> tuple[float, float]:
    if isinstance(spec, str):
        name, _, side = spec.partition(".")
        side, _, at = side.partition("@")
        if name not in boxes:
            raise ValueError(f"arrow end {spec!r}: no box {name!r}")
        return boxes[name].anchor(side, float(at) if at else 0.5)
    x, y = spec
    return float(x), float(y)


def _lines_of(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(line) for line in value]


def _wire(points: list[tuple[float, float]], style: str, head: bool) -> list[str]:
    if len(points) < 2:
        raise ValueError(f"a line needs two points or more: {points}")
    if head:  # stop the line at the arrowhead's base, then draw the head
        (x0, y0), (x1, y1) = points[-2], points[-1]
        length = math.hypot(x1 - x0, y1 - y0)
        if length <= HEAD:
            raise ValueError(f"the last segment of an arrow is too short: {points}")
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        base = (x1 - ux * HEAD, y1 - uy * HEAD)
        left = (base[0] - uy * HEAD / 2, base[1] + ux * HEAD / 2)
        right = (base[0] + uy * HEAD / 2, base[1] - ux * HEAD / 2)
        points = [*points[:-1], base]
    colour = STYLES["fail"] if style == "marker" else LIGHT["line"]
    css = "" if style == "marker" else ' class="wire"'
    dash = {"dashed": ' stroke-dasharray="6 4"', "marker": ' stroke-dasharray="5 4"'}.get(style, "")
    path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    out = [
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"'
        f' stroke-linejoin="round"{dash}{css}/>'
    ]
    if head:
        tip = " ".join(f"{_num(x)},{_num(y)}" for x, y in (points[-1], left, (x1, y1), right))
        out.append(f'<polygon points="{tip}" class="head" fill="{LIGHT["line"]}"/>')
    return out


def render(source: dict[str, Any]) -> str:
    """The SVG document for one diagram source."""
    width, height = float(source["width"]), float(source["height"])
    boxes: dict[str, Box] = {}
    for raw in source.get("boxes", []):
        box = Box(
            str(raw["id"]),
            float(raw["x"]),
            float(raw["y"]),
            float(raw["w"]),
            float(raw["h"]),
            str(raw.get("style", "step")),
            str(raw.get("title", "")),
            tuple(_lines_of(raw.get("lines", []))),
            str(raw.get("align", "start")),
        )
        if box.id in boxes:
            raise ValueError(f"two boxes named {box.id!r}")
        if box.x < 0 or box.y < 0 or box.x + box.w > width or box.y + box.h > height:
            raise ValueError(f"box {box.id!r} is outside the {width}x{height} picture")
        boxes[box.id] = box
    body: list[str] = []
    for raw in source.get("lines", []):
        points = [_point(p, boxes) for p in raw["points"]]
        body += _wire(points, str(raw.get("style", "solid")), head=False)
    problems: list[str] = []
    for box in boxes.values():
        body += _box(box, problems)
    for raw in source.get("arrows", []):
        points = [_point(raw["from"], boxes)]
        points += [_point(p, boxes) for p in raw.get("via", [])]
        points.append(_point(raw["to"], boxes))
        body += _wire(points, str(raw.get("style", "solid")), head=True)
        label = _lines_of(raw.get("label", []))
        if label:
            (x0, y0), (x1, y1) = points[0], points[1]
            x, y = raw.get("label_at", ((x0 + x1) / 2, (y0 + y1) / 2 - 7))
            anchor = str(raw.get("label_anchor", "middle"))
            for number, line in enumerate(label):
                if not _fits(line, float(x), SMALL_FONT, anchor, width):
                    problems.append(f"arrow label {line!r} runs out of the picture")
                body.append(
                    _text(
                        float(x),
                        float(y) + number * SMALL_FONT * LINE_HEIGHT,
                        line,
                        size=SMALL_FONT,
                        css="muted",
                        anchor=anchor,
                        halo=True,
                    )
                )
    for raw in source.get("labels", []):
        size = float(raw.get("size", SMALL_FONT))
        css = "muted" if raw.get("style", "note") == "note" else "fg"
        anchor = str(raw.get("anchor", "start"))
        for number, line in enumerate(_lines_of(raw["text"])):
            if not _fits(line, float(raw["x"]), size, anchor, width):
                problems.append(f"label {line!r} runs out of the picture")
            body.append(
                _text(
                    float(raw["x"]),
                    float(raw["y"]) + number * size * LINE_HEIGHT,
                    line,
                    size=size,
                    css=css,
                    anchor=anchor,
                    bold=bool(raw.get("bold", False)),
                )
            )
    if problems:
        raise ValueError("text does not fit:\n  " + "\n  ".join(problems))
    w, h = _num(width), _num(height)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}"'
        f' height="{h}" role="img" aria-labelledby="title desc" font-family="sans-serif">',
        f'<title id="title">{escape(str(source["title"]))}</title>',
        f'<desc id="desc">{escape(str(source.get("description", "")))}</desc>',
        f"<style>{_CSS}</style>",
        f'<rect class="bg" width="{w}" height="{h}" rx="8" fill="{LIGHT["bg"]}"/>',
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def sources() -> list[Path]:
    return sorted(HERE.glob("*.json"))


def target(source: Path) -> Path:
    return OUT / f"{source.stem}.svg"


def rendered(source: Path) -> str:
    try:
        return render(json.loads(source.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source.name}: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale SVGs (exit 1)")
    args = parser.parse_args(argv)
    stale = []
    for source in sources():
        svg, path = rendered(source), target(source)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if svg == current:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(HERE.parent.parent)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(HERE.parent.parent)) for p in stale)
        print(f"out of date: {names}; run: python docs/diagrams/render.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
