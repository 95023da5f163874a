"""Teams (一起捐): a company, a school class or a neighbourhood committee raising together on
a campaign, each with its own page, goal and wall. Gifts credit a team softly (a ``team_id`` on
the donation, set by ``donate``); the ledger never sees teams. Imports ``campaigns`` and
``core`` only — never ``donate``.
"""
