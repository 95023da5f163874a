"""Share cards as PNG (WeChat and most link previews do not show SVG): a title, a bar of
raised against the goal and the page's QR code, drawn with Pillow.

Two shapes: :data:`WIDE` (1200×630, Open Graph and Twitter) and :data:`SQUARE` (500×500, the
thumbnail WeChat shows). Chinese needs a CJK font: WenQuanYi Micro Hei where installed, else
DejaVu, else Pillow's own font, so a missing font changes the look, never the status code.
Every length is an integer number of pixels; the bar's fill is scaled with integers.
"""
import io
import re
from dataclasses import dataclass
from functools import lru_cache

import segno
from PIL import Image, ImageDraw, ImageFont

from core.charts import scaled

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BRAND, TRACK, INK, GREY, PAPER = (192, 57, 43), (224, 224, 224), (34, 34, 34), (96, 96, 96), (255, 255, 255)
#: CJK characters break anywhere; other text breaks at spaces.
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+")


@dataclass(frozen=True)
class Layout:
    """Where things go on one card shape (pixels)."""

    width: int
    height: int
    margin: int
    title_size: int
    text_size: int
    qr_size: int
    bar_height: int


WIDE = Layout(1200, 630, 60, 64, 34, 300, 36)
SQUARE = Layout(500, 500, 32, 40, 24, 150, 24)
SHAPES = {"wide": WIDE, "square": SQUARE}


@dataclass(frozen=True)
class Card:
    """What a card says; hashable, so rendered cards are cached by their content."""

    title: str
    subtitle: str
    #: e.g. "已筹 ¥2,500.00 / 目标 ¥10,000.00", formatted by the caller.
    progress_text: str
    value: int
    goal: int
    url: str
    brand: str


@lru_cache(maxsize=32)
def font(size: int):
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def wrap(draw, text: str, size: int, width: int, max_lines: int) -> list[str]:
    """``text`` in at most ``max_lines`` lines no wider than ``width``; "…" if cut short."""
    lines, line = [], ""
    for token in _TOKENS.findall(text.strip()):
        if line and draw.textlength(line + token.rstrip(), font=font(size)) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font(size)) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def qr_image(url: str, size: int):
    """The QR code of ``url`` as a Pillow image about ``size`` pixels square (segno's PNG)."""
    qr = segno.make(url, error="m")
    scale = max(1, size // qr.symbol_size(scale=1, border=2)[0])
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=2)
    out.seek(0)
    return Image.open(out).convert("RGB")


def _bar(draw, layout: Layout, card: Card, top: int, width: int) -> None:
    left, h = layout.margin, layout.bar_height
    draw.rectangle((left, top, left + width, top + h), fill=TRACK)
    if card.goal > 0:
        done = scaled(card.value, card.goal, width) // 10
        if done:
            draw.rectangle((left, top, left + done, top + h), fill=BRAND)


def _texts(draw, layout: Layout, card: Card, text_width: int) -> int:
    """Title, subtitle and progress text; returns the y under them."""
    y = layout.margin + 16
    for line in wrap(draw, card.title, layout.title_size, text_width, 2):
        draw.text((layout.margin, y), line, font=font(layout.title_size), fill=INK)
        y += layout.title_size * 5 // 4
    for line in wrap(draw, card.subtitle, layout.text_size, text_width, 2) if card.subtitle else ():
        draw.text((layout.margin, y), line, font=font(layout.text_size), fill=GREY)
        y += layout.text_size * 5 // 4
    return y


def render_card(card: Card, shape: str = "wide") -> bytes:
    """The card as PNG bytes, ``shape`` one of :data:`SHAPES`."""
    return _render(card, SHAPES[shape])


@lru_cache(maxsize=64)
def _render(card: Card, layout: Layout) -> bytes:
    image = Image.new("RGB", (layout.width, layout.height), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, layout.width, 12), fill=BRAND)
    qr = qr_image(card.url, layout.qr_size)
    qr_x, qr_y = layout.width - layout.margin - qr.width, layout.height - layout.margin - qr.height
    image.paste(qr, (qr_x, qr_y))
    wide = layout is WIDE
    text_width = (qr_x - 2 * layout.margin) if wide else layout.width - 2 * layout.margin
    _texts(draw, layout, card, text_width)
    below = layout.text_size + 24 if wide else qr.height + 16  # the brand line, or the QR code
    bar_top = layout.height - layout.margin - layout.bar_height - below
    bar_width = text_width if wide else layout.width - 2 * layout.margin
    text = wrap(draw, card.progress_text, layout.text_size, bar_width, 1)[0]
    draw.text((layout.margin, bar_top - layout.text_size * 3 // 2), text, font=font(layout.text_size), fill=INK)
    _bar(draw, layout, card, bar_top, bar_width)
    if wide:
        draw.text((layout.margin, layout.height - layout.margin - layout.text_size), card.brand,
                  font=font(layout.text_size), fill=BRAND)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
