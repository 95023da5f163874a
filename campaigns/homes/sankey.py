"""A server-rendered Sankey-style flow chart as inline SVG (no JavaScript, no inline styles:
the CSP forbids ``style=``, so only SVG presentation attributes are used). The ``<svg>``
element, its title and its text alternative come from :func:`core.charts.svg`.

Three columns of nodes; each link is a band whose thickness is proportional to its amount.
"""
from collections import defaultdict
from dataclasses import dataclass

from markupsafe import Markup, escape

from core.charts import svg

WIDTH, HEIGHT, NODE_W, GAP, LABEL_W = 760, 400, 14, 14, 170
COLOURS = ("#c0392b", "#d35400", "#2980b9", "#27ae60", "#8e44ad", "#16a085", "#7f8c8d")


@dataclass(frozen=True)
class Node:
    key: str
    column: int
    label: str


def _layout(nodes, values):
    """``{key: (x, y, height)}``, scaled so the fullest column fits the height."""
    columns = defaultdict(list)
    for node in nodes:
        columns[node.column].append(node)
    fullest = max(sum(values[n.key] for n in col) for col in columns.values()) or 1
    scale = (HEIGHT - GAP * (max(len(c) for c in columns.values()) - 1)) / fullest
    span = (WIDTH - LABEL_W - NODE_W) / max(1, max(columns))
    out = {}
    for column, col in columns.items():
        y = 0.0
        for node in col:
            h = max(1.0, values[node.key] * scale)
            out[node.key] = (column * span, y, h)
            y += h + GAP
    return out, scale


def _values(links) -> dict:
    """A node's size: the larger of what flows out of it and what flows in."""
    out, incoming = defaultdict(int), defaultdict(int)
    for src, dst, amount in links:
        out[src] += amount
        incoming[dst] += amount
    return defaultdict(int, {k: max(out[k], incoming[k]) for k in set(out) | set(incoming)})


def _bands(links, pos, scale, amount_text) -> list[str]:
    parts, out_y, in_y = [], defaultdict(float), defaultdict(float)
    for i, (src, dst, amount) in enumerate(links):
        (x0, y0, _), (x1, y1, _) = pos[src], pos[dst]
        t = max(1.0, amount * scale)
        a, b = y0 + out_y[src] + t / 2, y1 + in_y[dst] + t / 2
        out_y[src] += t
        in_y[dst] += t
        xs, xm = x0 + NODE_W, (x0 + NODE_W + x1) / 2
        parts.append(f'<path d="M{xs:.1f},{a:.1f} C{xm:.1f},{a:.1f} {xm:.1f},{b:.1f} {x1:.1f},{b:.1f}" '
                     f'fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-opacity="0.35" '
                     f'stroke-width="{t:.1f}"><title>{escape(amount_text(amount))}</title></path>')
    return parts


def flow_svg(nodes: list[Node], links: list[tuple[str, str, int]], caption: str,
             amount_text=str) -> Markup:
    """The chart; ``links`` are ``(from key, to key, amount)``, ``amount_text`` formats amounts."""
    links = [link for link in links if link[2] > 0]
    values = _values(links)
    nodes = [n for n in nodes if values[n.key] > 0]
    if not nodes:
        return Markup("")
    pos, scale = _layout(nodes, values)
    parts = _bands(links, pos, scale, amount_text)
    for node in nodes:
        x, y, h = pos[node.key]
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{h:.1f}" fill="#34495e"/>')
        parts.append(f'<text x="{x + NODE_W + 4:.1f}" y="{y + h / 2 + 4:.1f}" font-size="12" '
                     f'fill="#222">{escape(node.label)} · {escape(amount_text(values[node.key]))}</text>')
    # The text alternative: every band in words, for screen readers.
    labels = {node.key: node.label for node in nodes}
    desc = "; ".join(f"{labels[a]} → {labels[b]}: {amount_text(amount)}" for a, b, amount in links)
    return svg(WIDTH, HEIGHT + 20, caption, desc, parts, "flow-chart")
