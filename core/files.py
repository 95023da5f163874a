"""Recognising uploaded files by their first bytes, whatever their name says."""

#: An .xlsx (a zip archive) and an old .xls (an OLE compound file): people often upload a
#: workbook where a CSV file is asked for.
EXCEL_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def is_excel(data: bytes) -> bool:
    return data.startswith(EXCEL_SIGNATURES)
