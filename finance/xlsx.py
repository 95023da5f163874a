"""Excel (.xlsx) downloads of statement tables, written with openpyxl.

Money cells are numbers, not text (``t="n"``), with the format ``#,##0.00``; totals are
numbers too, not formulas, so that the file reads the same in any spreadsheet and in a test.
Why the cell is given its exact decimal text (``"83.40"``) and marked numeric, rather than a
Decimal: openpyxl writes a Decimal through ``"%.16g" % value``, a float conversion that puts
``83.40000000000001`` in the file; the exact text never passes through a float. Text that
starts with ``=`` is kept as text: openpyxl would otherwise write it as a formula, and a
memo or donor name must never run in the reader's spreadsheet.
"""
import io

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from ledger.money import format_plain, minor_digits

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The first row of the table's header (after the title and the period lines).
HEADER_ROW = 4
_BOLD = Font(bold=True)
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def money_format(currency: str) -> str:
    digits = minor_digits(currency)
    return "#,##0." + "0" * digits if digits else "#,##0"


def workbook_bytes(table) -> bytes:
    """The table as a one-sheet workbook: title, period, header, rows (totals in bold)."""
    book = Workbook()
    sheet = book.active
    sheet.title = table.title.translate(_SHEET_FORBIDDEN)[:31] or "Sheet"
    sheet.append([table.title])
    sheet.append([table.period])
    sheet.append([])
    sheet.append([col.label for col in table.columns])
    for cell in sheet[HEADER_ROW]:
        cell.font = _BOLD
    number_format = money_format(table.currency)
    for row in table.rows:
        sheet.append([_value(col, value, table.currency)
                      for col, value in zip(table.columns, row.cells)])
        _style(sheet[sheet.max_row], table.columns, number_format, bold=row.kind != "line")
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    for index, col in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(HEADER_ROW, index).column_letter].width = \
            16 if col.money else 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _value(column, value, currency: str):
    if value is None:
        return None
    return format_plain(value, currency) if column.money else value


def _style(cells, columns, number_format: str, bold: bool) -> None:
    for cell, col in zip(cells, columns):
        if col.money:
            cell.number_format = number_format
            if cell.value is not None:
                cell.data_type = "n"  # the exact text, written as a number (see above)
        elif isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
        if bold:
            cell.font = _BOLD


def xlsx_response(table) -> Response:
    return Response(workbook_bytes(table), content_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{table.slug}.xlsx"'})
