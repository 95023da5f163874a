"""The OpenAPI 3 description of the public JSON API, served at ``/api/v1/openapi.json``.

It promises what embeds may rely on: the fields listed as required, their types, and the
error body of a 404. Fields that later issues add (matching, wish counts) are described as
optional, so that an older client keeps working. ``tests/trust/test_openapi.py`` runs
schemathesis against it: every answer must match this description and none may be a 5xx.
"""
from flask import Blueprint, current_app, jsonify, url_for

from core.access import PUBLIC, guard_blueprint

bp = Blueprint("openapi", __name__)
guard_blueprint(bp, PUBLIC)

_COUNT = {"type": "integer", "minimum": 0}

PROGRESS = {
    "type": "object",
    "required": ["slug", "kind", "status", "currency", "goal_fen", "raised_fen", "donors",
                 "donor_goal", "homes_helped", "homes_goal"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "kind": {"type": "string", "enum": ["pooled", "wish"]},
        "status": {"type": "string", "enum": ["live", "paused", "closed"]},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "goal_fen": _COUNT,
        "raised_fen": {"type": "integer", "description": "Succeeded gifts net of refunds, in "
                       "minor units; sponsors' matches are not included."},
        "donors": _COUNT, "donor_goal": _COUNT, "homes_helped": _COUNT, "homes_goal": _COUNT,
        "matched_fen": {"type": "integer"},
        "raised_with_matches_fen": {"type": "integer"},
        "pledges": {"type": "array", "items": {"type": "object"}},
        "wishes": {
            "type": "object", "nullable": True,
            "description": "Wish drives only: how many wishes are in each state.",
            "additionalProperties": _COUNT,
        },
    },
}

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


PREVIEW = {
    "type": "object",
    "required": ["gift_fen", "match_fen", "total_fen", "currency", "text"],
    "properties": {"gift_fen": _COUNT, "match_fen": _COUNT, "total_fen": _COUNT,
                   "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                   "text": {"type": "string"}},
}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
         "example": "wanren-juan", "description": "The drive's web address, as in /c/<slug>."}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: endpoint → (path, operation): each is described only once its route is in the app.
OPERATIONS = {
    "donate.campaign_api": ("/api/v1/campaigns/{slug}", {
        "operationId": "campaignProgress",
        "summary": "A public drive's progress: money, donors and homes helped.",
        "parameters": [_SLUG],
        "responses": {"200": _json(PROGRESS, "The drive's progress."),
                      "404": _json(ERROR, "No public drive has this slug.")},
    }),
    "matching_public.match_preview": ("/c/{slug}/match-preview", {
        "operationId": "matchPreview",
        "summary": "The match a gift of this amount would get now on a live drive.",
        "parameters": [_SLUG, {"name": "amount", "in": "query", "required": True,
                               "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,6}(\\.[0-9]{1,2})?$"},
                        "example": "100",
                        "description": "Yuan, e.g. 100 or 12.50"},
                       {"name": "designation", "in": "query", "required": False,
                        "schema": {"type": "string"}}],
        "responses": {"200": _json(PREVIEW, "The gift, its match and the total."),
                      "400": _json(ERROR, "The amount or designation is not acceptable."),
                      "404": _json(ERROR, "No live drive has this slug.")},
    }),
}


def describe(server_url: str, endpoints) -> dict:
    """The OpenAPI document of the operations whose endpoints are in ``endpoints``."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Wanjia public API", "version": "1",
                 "description": "Progress of public fundraising drives, for embeds and pages."},
        "servers": [{"url": server_url}],
        "paths": {path: {"get": op} for endpoint, (path, op) in OPERATIONS.items()
                  if endpoint in endpoints},
    }


@bp.route("/api/v1/openapi.json")
def openapi_document():
    return jsonify(describe(url_for("donate.home", _external=True).rstrip("/"),
                            current_app.view_functions))
