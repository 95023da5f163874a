"""Micro-wishes (微心愿), issue #6: one small wish of one beneficiary, funded whole by one donor,
bought, delivered and closed by staff. Models, the one state machine, services, CSV import,
staff pages and the demo seed live here. Like the rest of ``campaigns``, nothing here imports
``donate``: a donation is linked by table name, and news for donors (a late gift redirected,
a wish closed) travels up by the blinker signals in :mod:`campaigns.wishes.services`."""
