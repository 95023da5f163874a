"""Issue #5, "万人捐、帮万家": community sub-funds and their disbursements, paired regions,
suppliers, goods and gift packs, purchase orders, households (personal data protected) and
the deliveries that bring a pack to a home.

Services here flush and never commit. This package imports ``ledger`` and ``core`` only,
never ``donate``; household ID numbers never leave it unmasked except to staff pages.
"""
