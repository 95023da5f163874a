"""Matching pledges (配捐), issue #7: sponsors promise to match the public's gifts within a
ratio, caps, a pool and a time window. Models, the pledge state machine, the matching engine
(run inside the gift's booking transaction), sponsor payments, review of suspect matches,
staff pages and the demo seed live here. Nothing here imports ``donate``: a donation is linked
by table name (``donations.id``), and the booking code in ``donate`` calls down into
:mod:`campaigns.matching.services`."""
