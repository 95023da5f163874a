"""Statements as tables: one shape that the page, the CSV and the Excel file all render.

A :class:`Table` has columns (text or money) and rows; a money cell holds integer minor units
(or ``None`` for blank), so each output formats it at its own edge: Babel on the page,
``format_plain`` in CSV, a number with a yuan format in Excel. Labels are translated here,
inside a request (``gettext``), so every output speaks the user's language.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ledger.money import format_plain
from ledger.statements import Activities, FinancialPosition, FundBalances, Split

SECTION, LINE, TOTAL = "section", "line", "total"


@dataclass(frozen=True)
class Column:
    label: str
    money: bool = False


@dataclass(frozen=True)
class Row:
    #: Stable name of the row (``data-line`` on the page), e.g. an account code or "total".
    key: str
    cells: tuple
    kind: str = LINE


@dataclass
class Table:
    #: File name without extension, e.g. ``financial-position-2026-10-31``.
    slug: str
    title: str
    #: "As at …" or "From … to …", shown under the title in every output.
    period: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    currency: str = "CNY"

    def add(self, key: str, *cells, kind: str = LINE) -> None:
        self.rows.append(Row(key, tuple(cells), kind))

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def plain_rows(self) -> list[list[str]]:
        """Every cell as text, money as ``1234.50`` (CSV)."""
        return [[self.plain(col, value) for col, value in zip(self.columns, row.cells)]
                for row in self.rows]

    def plain(self, column: Column, value) -> str:
        if value is None:
            return ""
        return format_plain(value, self.currency) if column.money else str(value)


def _split_cells(amount: Split) -> tuple:
    return amount.unrestricted, amount.restricted, amount.total


def position_table(fp: FinancialPosition, loc: str) -> Table:
    table = Table(f"financial-position-{fp.as_of}", _("Statement of financial position"),
                  _("As at %(date)s", date=fp.as_of.isoformat()),
                  [Column(_("Code")), Column(_("Item")), Column(_("Amount"), money=True)],
                  currency=fp.currency)
    table.add("assets", "", _("Assets"), None, kind=SECTION)
    for line in fp.assets:
        table.add(line.code, line.code, line.name(loc), line.amount.total)
    table.add("total-assets", "", _("Total assets"), fp.total_assets, kind=TOTAL)
    table.add("liabilities", "", _("Liabilities"), None, kind=SECTION)
    for line in fp.liabilities:
        table.add(line.code, line.code, line.name(loc), line.amount.total)
    table.add("total-liabilities", "", _("Total liabilities"), fp.total_liabilities, kind=TOTAL)
    table.add("net-assets", "", _("Net assets"), None, kind=SECTION)
    table.add("unrestricted", "", _("Unrestricted net assets"), fp.net_assets.unrestricted)
    table.add("restricted", "", _("Restricted net assets"), fp.net_assets.restricted)
    table.add("total-net-assets", "", _("Total net assets"), fp.net_assets.total, kind=TOTAL)
    table.add("total", "", _("Total liabilities and net assets"),
              fp.total_liabilities_and_net_assets, kind=TOTAL)
    return table


def activities_table(act: Activities, loc: str) -> Table:
    table = Table(f"activities-{act.start}-{act.end}", _("Statement of activities"),
                  period_text(act.start, act.end),
                  [Column(_("Code")), Column(_("Item")), Column(_("Unrestricted"), money=True),
                   Column(_("Restricted"), money=True), Column(_("Total"), money=True)],
                  currency=act.currency)
    table.add("income", "", _("Income"), None, None, None, kind=SECTION)
    for line in act.income:
        table.add(line.code, line.code, line.name(loc), *_split_cells(line.amount))
    table.add("total-income", "", _("Total income"), *_split_cells(act.total_income), kind=TOTAL)
    table.add("expenses", "", _("Expenses"), None, None, None, kind=SECTION)
    for line in act.expenses:
        table.add(line.code, line.code, line.name(loc), *_split_cells(line.amount))
    table.add("total-expenses", "", _("Total expenses"), *_split_cells(act.total_expenses),
              kind=TOTAL)
    # 三、限定性净资产转为非限定性净资产, after the expenses, as in the statutory form.
    table.add("release", "", _("Net assets released from restriction"),
              *_split_cells(act.release))
    table.add("change", "", _("Change in net assets"), *_split_cells(act.change), kind=TOTAL)
    table.add("opening", "", _("Net assets at the start"), *_split_cells(act.opening))
    if act.direct.unrestricted or act.direct.restricted:
        table.add("direct", "", _("Posted directly to net assets"), *_split_cells(act.direct))
    table.add("closing", "", _("Net assets at the end"), *_split_cells(act.closing), kind=TOTAL)
    return table


def funds_table(fb: FundBalances, loc: str, restriction_labels: dict) -> Table:
    table = Table(f"fund-balances-{fb.start}-{fb.end}", _("Fund balances"),
                  period_text(fb.start, fb.end),
                  [Column(_("Fund")), Column(_("Name")), Column(_("Restriction")),
                   Column(_("Opening"), money=True), Column(_("In"), money=True),
                   Column(_("Out"), money=True), Column(_("Closing"), money=True)],
                  currency=fb.currency)
    for r in fb.rows:
        table.add(r.code, r.code, r.name(loc), str(restriction_labels[r.restriction]),
                  r.opening, r.inflow, r.outflow, r.closing)
    table.add("total", "", _("Total"), "", *(fb.total(a) for a in
                                              ("opening", "inflow", "outflow", "closing")),
              kind=TOTAL)
    return table


def period_text(start, end) -> str:
    return _("From %(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())
