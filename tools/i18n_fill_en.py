"""Fill the English catalog: every msgstr becomes its msgid, and fuzzy flags are cleared.

Usage: .venv/bin/python -m tools.i18n_fill_en translations/en/LC_MESSAGES/messages.po

Run it after `make update-messages`; it only touches empty or fuzzy entries (English is the
source language, so a translation is the msgid itself) and keeps the file's header.
"""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill(path: Path) -> int:
    with path.open("rb") as f:
        catalog = read_po(f)
    changed = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            singular, plural = message.id[0], message.id[1]
            nplurals = max(catalog.num_plurals, 2)
            wanted = tuple([singular] + [plural] * (nplurals - 1))
            current = message.string if isinstance(message.string, (tuple, list)) else ()
            if message.fuzzy or not current or not all(current) or len(current) != len(wanted):
                message.string = wanted
                changed += 1
        elif message.fuzzy or not message.string:
            message.string = message.id
            changed += 1
        if message.fuzzy:
            message.flags.discard("fuzzy")
    # babel >= 2.x keeps the obsolete dict; drop nothing else.
    with path.open("wb") as f:
        write_po(f, catalog, width=76, omit_header=False, sort_output=True,
                 ignore_obsolete=True)
    return changed


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for name in args:
        n = fill(Path(name))
        print(f"{name}: filled {n} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
