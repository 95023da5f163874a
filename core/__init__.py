"""The floor every other package stands on.

What lives here: the declarative base and the ``db`` object, configuration, the Flask
extension objects, users and roles, access guards, security headers and i18n.

It must never import ``ledger``, ``campaigns`` or ``donate``: imports only go down
(donate → campaigns → ledger → core). ``core.model`` imports no Flask, so the ledger's
engine can build on it from a plain script.
"""
