"""Server-rendered SVG charts: the one charting approach of Wanjia (no JavaScript library).

Why SVG from the server: it shows in WeChat's in-app browser, under the strict CSP (no inline
scripts or ``style=``, so only SVG presentation attributes are used), without JavaScript and in
print, and it carries text for screen readers (``<title>``, ``<desc>``, ``aria-label``) beside
the data table that ``templates/charts/_figure.html`` renders under each chart.

Amounts come in as integers (fen, counts) and are scaled with integer arithmetic: every
coordinate is kept in tenths of a unit (an ``int``) and written as ``75`` or ``75.5``, so no
float ever touches money. Callers format the texts (Babel, at the edge) and pass them in; this
module escapes every text it writes.
"""
from dataclasses import dataclass, field

from markupsafe import Markup, escape

#: Goal bars are drawn on a 0..1000 track stretched to the width of their container.
TRACK = 1000
BRAND, MATCHED, TRACK_FILL, INK, GRID = "#c0392b", "#e67e22", "#e0e0e0", "#222", "#bbb"
#: Horizontal bar chart: width, room for the value, row height, bar thickness, font size
#: (viewBox units).
BARS_W, BARS_VALUE_W, BARS_ROW, BARS_THICK, FONT = 400, 120, 48, 14, 14
#: Column chart: width, height, top and bottom margins of the plot area (viewBox units).
COLS_W, COLS_H, COLS_TOP, COLS_BOTTOM = 400, 220, 34, 28
#: At most this many day labels under a column chart; the data table has every day.
MAX_X_LABELS = 6


def scaled(value: int, top: int, length: int) -> int:
    """``value`` of ``top`` along ``length``, in tenths, clamped to 0..length (integers only)."""
    if top <= 0 or value <= 0:
        return 0
    return min(length * 10, value * length * 10 // top)


def n(tenths: int) -> str:
    """A coordinate in tenths as SVG text: ``750`` → ``75``, ``755`` → ``75.5``."""
    sign, tenths = ("-", -tenths) if tenths < 0 else ("", tenths)
    whole, rest = divmod(tenths, 10)
    return f"{sign}{whole}.{rest}" if rest else f"{sign}{whole}"


def _rect(x: int, y: int, w: int, h: int, fill: str, extra: str = "", tip: str = "") -> str:
    """A rectangle (coordinates in tenths), with ``tip`` as its tooltip when given."""
    head = f'<rect x="{n(x)}" y="{n(y)}" width="{n(w)}" height="{n(h)}" fill="{fill}"{extra}'
    return f"{head}><title>{escape(tip)}</title></rect>" if tip else f"{head}/>"


def _text(x: int, y: int, text: str, anchor: str = "start", size: int = FONT) -> str:
    return (f'<text x="{n(x)}" y="{n(y)}" font-size="{size}" fill="{INK}" '
            f'text-anchor="{anchor}">{escape(text)}</text>')


def svg(width: int, height: int, title: str, desc: str, body: list[str], css: str,
        extra: str = "") -> Markup:
    """The ``<svg>`` element: sized by its container (width 100%), titled for screen readers."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}" class="{css}"{extra}>'
            f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>")
    # Safe markup: every text above and in ``body`` went through escape().
    return Markup(head + "".join(body) + "</svg>")  # nosec B704


# -- progress against a goal ------------------------------------------------------------------

def goal_bar(value: int, goal: int, label: str, extra: int = 0) -> Markup:
    """One progress bar of ``value`` (and a distinct ``extra`` segment, e.g. matches) against
    ``goal``, capped at the goal; ``label`` is its tooltip. Without a goal there is nothing to
    measure against: an empty Markup.

    The bar is a picture only (``aria-hidden``): pages put a native ``<progress>`` beside it
    for screen readers, which announce it as a progress bar with its percentage."""
    if goal <= 0:
        return Markup("")
    done = scaled(value, goal, TRACK)
    more = scaled(value + extra, goal, TRACK) - done
    body = [_rect(0, 0, TRACK * 10, 100, TRACK_FILL), _rect(0, 0, done, 100, BRAND, ' class="done"')]
    if more:
        body.append(_rect(done, 0, more, 100, MATCHED, ' class="extra"'))
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {TRACK} 10" width="100%" '
            f'height="14" preserveAspectRatio="none" aria-hidden="true" focusable="false" '
            f'class="goal-bar"><title>{escape(label)}</title>')
    # Safe markup: the label went through escape(), the rest are numbers.
    return Markup(head + "".join(body) + "</svg>")  # nosec B704


# -- labelled horizontal bars -------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One bar or column: its label, its integer value and that value as text (formatted)."""

    label: str
    value: int
    text: str
    #: A second figure (e.g. the number of gifts on a day) and its text; the line of a
    #: column chart.
    count: int = 0
    count_text: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart and its data, for ``templates/charts/_figure.html``."""

    svg: Markup
    title: str
    #: Column headings and rows of the data table (texts), read by screen readers.
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default=())


def fit(text: str, width: int, size: int = FONT) -> str:
    """``text`` cut with "…" to about ``width`` units at font ``size`` (a CJK character is
    about ``size`` wide, others about half), since SVG text does not wrap."""
    room, out = width * 2, ""
    for char in text:
        room -= 2 * size if ord(char) > 0x2E80 else size * 11 // 10
        if room < 0:
            return out[:-1] + "…"
        out += char
    return out


def bar_chart(items: list[Item], title: str, headers: tuple[str, str]) -> Chart:
    """Horizontal bars, the longest for the largest value: each row is its label, then the bar
    and its value beside it, so the chart reads at 360 px. A negative value draws no bar."""
    top = max((i.value for i in items), default=0)
    track = BARS_W - BARS_VALUE_W
    body = []
    for row, item in enumerate(items):
        y = row * BARS_ROW * 10
        body.append(_text(0, y + 160, fit(item.label, BARS_W)))
        body.append(_rect(0, y + 240, track * 10, BARS_THICK * 10, TRACK_FILL))
        body.append(_rect(0, y + 240, scaled(item.value, top, track), BARS_THICK * 10, BRAND,
                          tip=f"{item.label}: {item.text}"))
        body.append(_text(BARS_W * 10, y + 360, item.text, "end"))
    desc = "; ".join(f"{i.label}: {i.text}" for i in items)
    drawn = svg(BARS_W, max(1, len(items)) * BARS_ROW, title, desc, body, "chart bar-chart")
    return Chart(drawn, title, headers, tuple((i.label, i.text) for i in items))


# -- a time series: columns and a line ------------------------------------------------------

def _x_label_rows(count: int) -> set[int]:
    """Which columns get a label under the axis: evenly spread, always the first and last."""
    if count <= MAX_X_LABELS:
        return set(range(count))
    step = -(-(count - 1) // (MAX_X_LABELS - 1))
    # a label too close before the last one would run into it
    return set(range(0, count - 1 - step // 2, step)) | {count - 1}


def _x_label(k: int, count: int, slot: int, base: int, label: str) -> str:
    """A day's label under its column; the first and last keep inside the chart's edges."""
    if count > 1 and k == 0:
        return _text(0, base + 180, label, "start", 12)
    if count > 1 and k == count - 1:
        return _text(COLS_W * 10, base + 180, label, "end", 12)
    return _text(k * slot + slot // 2, base + 180, label, "middle", 12)


def _columns(items: list[Item], plot_h: int, slot: int) -> list[str]:
    top = max((i.value for i in items), default=0)
    base, body = (COLS_TOP + plot_h) * 10, []
    for k, item in enumerate(items):
        h = scaled(item.value, top, plot_h)
        tip = f"{item.label}: {item.text}" + (f", {item.count_text}" if item.count_text else "")
        body.append(_rect(k * slot + slot // 10, base - h, slot * 8 // 10, h, BRAND, tip=tip))
    return body


def _count_line(items: list[Item], plot_h: int, slot: int) -> list[str]:
    top = max((i.count for i in items), default=0)
    if top <= 0:
        return []
    base = (COLS_TOP + plot_h) * 10
    points = [(k * slot + slot // 2, base - scaled(i.count, top, plot_h)) for k, i in enumerate(items)]
    path = " ".join(f"{n(x)},{n(y)}" for x, y in points)
    dots = [f'<circle cx="{n(x)}" cy="{n(y)}" r="3" fill="{MATCHED}"/>'
            for (x, y), item in zip(points, items) if item.count]
    return [f'<polyline points="{path}" fill="none" stroke="{MATCHED}" stroke-width="2"/>'] + dots


def column_chart(items: list[Item], title: str, headers: tuple[str, str, str],
                 legend: tuple[str, str], top_text: str) -> Chart:
    """Columns of ``value`` per period (e.g. money per day) and a line of ``count`` (gifts),
    each on its own scale; ``top_text`` labels the tallest column (e.g. "¥1,200.00"),
    ``legend`` names the columns and the line. Empty ``items`` give an empty Markup."""
    if not items:
        return Chart(Markup(""), title, headers)
    plot_h = COLS_H - COLS_TOP - COLS_BOTTOM
    slot = COLS_W * 10 // len(items)
    base = (COLS_TOP + plot_h) * 10
    body = [_text(0, 140, top_text, size=12),
            _rect(COLS_W * 10 - 1900, 40, 100, 100, BRAND), _text(COLS_W * 10 - 1760, 140, legend[0], size=12),
            _rect(COLS_W * 10 - 900, 80, 100, 20, MATCHED), _text(COLS_W * 10 - 760, 140, legend[1], size=12),
            f'<line x1="0" y1="{COLS_TOP}" x2="{COLS_W}" y2="{COLS_TOP}" stroke="{GRID}" stroke-dasharray="4 4"/>',
            f'<line x1="0" y1="{n(base)}" x2="{COLS_W}" y2="{n(base)}" stroke="{INK}"/>']
    body += _columns(items, plot_h, slot) + _count_line(items, plot_h, slot)
    labelled = _x_label_rows(len(items))
    body += [_x_label(k, len(items), slot, base, i.label) for k, i in enumerate(items) if k in labelled]
    desc = "; ".join(f"{i.label}: {i.text}, {i.count_text}" for i in items)
    drawn = svg(COLS_W, COLS_H, title, desc, body, "chart column-chart")
    return Chart(drawn, title, headers, tuple((i.label, i.count_text, i.text) for i in items))
