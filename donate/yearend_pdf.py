"""The year-end statement as a PDF (fpdf2), bilingual like the printed receipt, with Chinese
rendered by the WenQuanYi Micro Hei font (Debian's ``fonts-wqy-microhei``; the path may be
changed with ``STATEMENT_FONT``). Amounts are formatted by the caller's ``money``."""
from collections.abc import Callable

from fpdf import FPDF
from fpdf.fonts import FontFace

from donate.yearend import Statement

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
#: Column titles and widths (mm) of the gifts table; the page is A4 portrait (190 mm of text).
COLUMNS = (("日期 Date", 22), ("收据编号 Receipt", 28), ("募捐活动 Drive", 46), ("定向 Designation", 34),
           ("金额 Amount", 20), ("已退款 Refunded", 20), ("净额 Net", 20))


class FontMissing(RuntimeError):
    """The CJK font is not installed: ``apt-get install fonts-wqy-microhei``."""


def _document(font_path: str) -> FPDF:
    pdf = FPDF(format="A4")
    try:
        pdf.add_font("wqy", fname=font_path)
    except (FileNotFoundError, OSError) as err:
        raise FontMissing(f"{font_path}: {err}") from None
    pdf.set_font("wqy", size=10)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, statement: Statement) -> None:
    pdf.set_font_size(16)
    pdf.cell(0, 10, "捐赠汇总 Giving statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)
    who = f"{statement.donor_name} <{statement.email}>" if statement.donor_name else statement.email
    pdf.cell(0, 6, f"捐赠人 Donor: {who}", new_x="LMARGIN", new_y="NEXT")
    period = f"{statement.start.isoformat()} – {statement.end.isoformat()}"
    pdf.cell(0, 6, f"期间 Period: {period}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, statement: Statement, money: Callable[[int, str], str]) -> None:
    # Headings in the regular face: the font has no bold variant.
    with pdf.table(col_widths=[w for _t, w in COLUMNS], text_align="LEFT",
                   headings_style=FontFace(emphasis="", fill_color=(235, 235, 235))) as table:
        table.row([title for title, _w in COLUMNS])
        for line in statement.lines:
            table.row([line.day.isoformat(), line.receipt_number,
                       f"{line.campaign_zh} {line.campaign_en}".strip(),
                       f"{line.designation_zh} {line.designation_en}".strip(),
                       money(line.amount_fen, line.currency), money(line.refunded_fen, line.currency),
                       money(line.net_fen, line.currency)])


def statement_pdf(statement: Statement, money: Callable[[int, str], str], font_path: str = DEFAULT_FONT) -> bytes:
    """The statement's PDF; :class:`FontMissing` when the CJK font is not there."""
    pdf = _document(font_path)
    _header(pdf, statement)
    if statement.lines:
        _table(pdf, statement, money)
    else:
        pdf.cell(0, 8, "本期间没有捐赠。 No gifts in this period.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for currency, (given, refunded, net) in statement.totals().items():
        pdf.cell(0, 7, f"合计 Total ({currency}): {money(given, currency)} − 退款 refunds "
                       f"{money(refunded, currency)} = {money(net, currency)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 5, "感谢您的善心。每笔捐赠的收据可凭收据编号与验证码在万家网站核验。\n"
                         "Thank you. Each gift's receipt can be checked on the Wanjia site with its "
                         "number and verification code.")
    return bytes(pdf.output())
