"""The public JSON API keeps to its OpenAPI description (issue #10): schemathesis generates
requests from ``/api/v1/openapi.json`` and checks every answer against it — no server error,
documented status codes and bodies. The number of examples comes from the hypothesis profile
(``HYPOTHESIS_PROFILE=soak`` raises it)."""
import schemathesis
from hypothesis import HealthCheck, given, settings

from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.trust.profiles import examples


def test_the_description_names_every_public_json_route(world):
    document = world.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/campaigns/{slug}" in document["paths"]
    required = document["paths"]["/api/v1/campaigns/{slug}"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"]["required"]
    assert required == ["slug", "kind", "status", "currency", "goal_fen", "raised_fen", "donors",
                        "donor_goal", "homes_helped", "homes_goal"]
    json_routes = {r.rule for r in world.url_map.iter_rules()
                   if r.rule.startswith("/api/") or r.rule.endswith("match-preview")}
    described = {p.replace("{", "<").replace("}", ">") for p in document["paths"]}
    assert json_routes - {"/api/v1/openapi.json"} == described


def test_a_real_drive_answers_with_every_required_field(world):
    body = world.test_client().get("/api/v1/campaigns/wanren-juan").get_json()
    assert (body["slug"], body["kind"], body["status"], body["currency"]) == (
        "wanren-juan", "pooled", "live", "CNY")
    assert body["raised_fen"] > 0 and body["goal_fen"] == 300_000_000


def test_every_answer_keeps_to_the_description(world):
    """Each described operation, fuzzed: schemathesis's checks run on every answer (server
    errors, status codes, content types and bodies against the description)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 1
    for operation in operations:
        run_operation(operation)


def run_operation(operation):
    @given(case=operation.as_strategy())
    @settings(max_examples=examples(50), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        # Not positive_data_acceptance: whether a designation id exists, or an amount is within
        # a drive's limits, depends on data that no schema can state (those are 400s).
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    fuzz()
