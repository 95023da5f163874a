"""Staff domain: campaigns, designations, sub-funds, matching pledges, wishes, paired regions,
suppliers, purchases, gift packs, households and deliveries.

May import ``ledger`` and ``core``; must never import ``donate``.
"""
