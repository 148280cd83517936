#!/usr/bin/env python3
"""Assertions on `terraform show -json PLAN` output, for scripts/check-infrastructure.

Plans show what Terraform will ask AWS for, including settings moto accepts but does not keep
(JSON logging, behaviours of CloudFront) and resources moto cannot create (provisioned
concurrency), so those are checked here rather than against moto after the apply.

Usage: check_plan.py KIND PLAN_JSON
  KIND: preprod                 - the default preprod plan that is then applied
        prod                    - prod.tfvars (plan only)
        variant                 - preprod with PROVISIONED billing, URL auth NONE, warning alarms
        provisioned-concurrency - dashboard_provisioned_concurrency = 10 on the applied preprod
        runbook-schedule        - procedure 4: -target=module.eventbridge, new schedule, no zips
        runbook-provisioned     - procedure 2: -target=module.dynamodb, PROVISIONED, no zips
        runbook-restore         - restore-table.md: -target=module.dynamodb after the table was
                                  replaced by a restored copy, no zips
"""

import json
import sys

failures: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def changes(plan: dict) -> dict[str, dict]:
    return {rc["address"]: rc for rc in plan.get("resource_changes", [])}


def after(plan: dict, address: str) -> dict:
    rc = changes(plan).get(address)
    if rc is None:
        failures.append(f"{address} is not in the plan")
        return {}
    return rc["change"]["after"] or {}


def of_type(plan: dict, resource_type: str, creating_only: bool = False) -> list[dict]:
    return [
        rc
        for rc in plan.get("resource_changes", [])
        if rc["type"] == resource_type and (not creating_only or "create" in rc["change"]["actions"])
    ]


def origins_signed(plan: dict) -> dict[str, bool]:
    """origin_id -> whether the origin gets an origin access control (its ID is known only after apply)."""
    rc = changes(plan).get("module.cdn.aws_cloudfront_distribution.this")
    if rc is None:
        failures.append("the distribution is not in the plan")
        return {}
    known, unknown = rc["change"]["after"]["origin"], rc["change"]["after_unknown"]["origin"]
    return {
        o["origin_id"]: bool(u.get("origin_access_control_id")) or bool(o.get("origin_access_control_id"))
        for o, u in zip(known, unknown)
    }


def alarm_names(plan: dict) -> list[str]:
    return [
        rc["change"]["after"]["alarm_name"]
        for rc in of_type(plan, "aws_cloudwatch_metric_alarm")
        if rc["change"]["after"]
    ]


def check_common(plan: dict, env: str) -> None:
    name = f"sentiment-analyzer-{env}"

    table = after(plan, "module.dynamodb.aws_dynamodb_table.this")
    check(table.get("name") == name, f"table name {table.get('name')!r} != {name!r}")
    check((table.get("hash_key"), table.get("range_key")) == ("PK", "SK"), "table keys must be PK/SK")
    attributes = {a["name"]: a["type"] for a in table.get("attribute", [])}
    check(attributes == {"PK": "S", "SK": "S", "GSI1PK": "S", "GSI1SK": "S"}, f"table attributes {attributes}")
    gsis = table.get("global_secondary_index", [])
    check(
        len(gsis) == 1
        and gsis[0]["name"] == "GSI1"
        and (gsis[0]["hash_key"], gsis[0]["range_key"], gsis[0]["projection_type"]) == ("GSI1PK", "GSI1SK", "ALL"),
        f"GSI must be GSI1 on GSI1PK/GSI1SK projecting ALL, got {gsis}",
    )
    check(table.get("ttl") == [{"attribute_name": "expires_at", "enabled": True}], f"TTL {table.get('ttl')}")
    check(table.get("point_in_time_recovery", [{}])[0].get("enabled") is True, "point-in-time recovery must be on")
    check(table.get("server_side_encryption", [{}])[0].get("enabled") is True, "server-side encryption must be on")

    for role in ("dashboard", "ingestion"):
        fn = after(plan, f"module.{role}_lambda.aws_lambda_function.this")
        check(fn.get("function_name") == f"{name}-{role}", f"{role} function name {fn.get('function_name')}")
        check(fn.get("runtime") == "provided.al2023" and fn.get("handler") == "bootstrap", f"{role} runtime/handler")
        check(fn.get("architectures") == ["arm64"], f"{role} architectures {fn.get('architectures')}")
        check(fn.get("tracing_config") == [{"mode": "Active"}], f"{role} X-Ray tracing must be Active")
        logging = (fn.get("logging_config") or [{}])[0]
        check(logging.get("log_format") == "JSON", f"{role} must log JSON, got {logging}")
        check(logging.get("log_group") == f"/aws/lambda/{name}-{role}", f"{role} log group {logging.get('log_group')}")
        group = after(plan, f"module.{role}_lambda.aws_cloudwatch_log_group.this")
        check(group.get("name") == f"/aws/lambda/{name}-{role}", f"{role} log group resource {group.get('name')}")

    dashboard = after(plan, "module.dashboard_lambda.aws_lambda_function.this")
    check(dashboard.get("publish") is True, "dashboard must publish versions (alias prod-warm)")
    alias = after(plan, "module.dashboard_lambda.aws_lambda_alias.this[0]")
    check(alias.get("name") == "prod-warm", f"alias {alias.get('name')}")
    url = after(plan, "module.dashboard_lambda.aws_lambda_function_url.this[0]")
    check(url.get("qualifier") == "prod-warm", "the Function URL must serve the prod-warm alias")

    rule = after(plan, "module.eventbridge.aws_cloudwatch_event_rule.schedule")
    check(rule.get("schedule_expression") == "rate(15 minutes)", f"schedule {rule.get('schedule_expression')}")
    dlq = after(plan, "module.eventbridge.aws_sqs_queue.dlq")
    check(
        dlq.get("name") == f"{name}-ingestion-dlq" and dlq.get("sqs_managed_sse_enabled") is True,
        f"DLQ {dlq.get('name')}",
    )
    bus = after(plan, "module.events.aws_cloudwatch_event_bus.this")
    check(bus.get("name") == name, f"event bus {bus.get('name')}")
    topic = after(plan, "module.events.aws_sns_topic.sentiment_shifts")
    check(topic.get("name") == f"{name}-sentiment-shifts", f"shift topic {topic.get('name')}")
    shifted = after(plan, "module.events.aws_cloudwatch_event_rule.sentiment_shifted")
    pattern = json.loads(shifted.get("event_pattern") or "{}")
    check(
        pattern == {"source": ["sentiment-analyzer"], "detail-type": ["SentimentShifted"]}, f"shift pattern {pattern}"
    )

    secrets = sorted(rc["change"]["after"]["name"] for rc in of_type(plan, "aws_secretsmanager_secret"))
    expected_secrets = sorted(f"sentiment-analyzer/{env}/{v}-api-key" for v in ("tiingo", "finnhub"))
    check(secrets == expected_secrets, f"secrets {secrets}")
    check(not of_type(plan, "aws_secretsmanager_secret_version"), "secret values must not be managed by Terraform")

    dist = after(plan, "module.cdn.aws_cloudfront_distribution.this")
    check(
        dist.get("default_cache_behavior", [{}])[0].get("viewer_protocol_policy") == "redirect-to-https",
        "default behaviour must redirect to HTTPS",
    )
    behaviours = dist.get("ordered_cache_behavior", [])
    paths = [b["path_pattern"] for b in behaviours]
    cached = ["/api/v2/sentiment*", "/api/v2/trends*", "/api/v2/articles*", "/api/v2/market/status"]
    for pattern_ in cached:
        check(
            pattern_ in paths and paths.index(pattern_) < paths.index("/api/*"),
            f"{pattern_} must be a behaviour before /api/*",
        )
    check(paths[-2:] == ["/api/*", "/health"], f"/api/* and /health must come last, got {paths}")
    check(
        all(b["viewer_protocol_policy"] == "redirect-to-https" for b in behaviours),
        "every behaviour must redirect to HTTPS",
    )
    catch_all = behaviours[paths.index("/api/*")] if "/api/*" in paths else {}
    check(
        "POST" in catch_all.get("allowed_methods", []) and "DELETE" in catch_all.get("allowed_methods", []),
        "/api/* must allow all methods",
    )
    check(catch_all.get("cache_policy_id") == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "/api/* must use CachingDisabled")
    check(
        catch_all.get("origin_request_policy_id") == "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "/api/* must forward all viewer headers but Host",
    )
    policy = after(plan, "module.cdn.aws_cloudfront_cache_policy.api")
    query = policy.get("parameters_in_cache_key_and_forwarded_to_origin", [{}])[0].get("query_strings_config", [{}])[0]
    check(
        (policy.get("min_ttl"), policy.get("default_ttl"), policy.get("max_ttl")) == (0, 0, 300)
        and query.get("query_string_behavior") == "all",
        "API cache policy must honour Cache-Control (0/0/300) and key on query strings",
    )

    dashboard_name = after(plan, "module.monitoring.aws_cloudwatch_dashboard.this").get("dashboard_name")
    check(dashboard_name == f"{name}-dashboard", f"CloudWatch dashboard {dashboard_name}")
    alarms_topic = after(plan, "module.monitoring.aws_sns_topic.alarms")
    check(alarms_topic.get("name") == f"{name}-alarms", f"alarm topic {alarms_topic.get('name')}")


def environment_of(plan: dict, role: str) -> dict:
    fn = after(plan, f"module.{role}_lambda.aws_lambda_function.this")
    return (fn.get("environment") or [{}])[0].get("variables") or {}


def check_preprod(plan: dict) -> None:
    check_common(plan, "preprod")
    name = "sentiment-analyzer-preprod"
    common = {
        "SENTIMENT_STORE": "dynamodb",
        "SENTIMENT_TABLE": name,
        "SENTIMENT_ENVIRONMENT": "preprod",
        "SENTIMENT_LOG_FORMAT": "json",
        "SENTIMENT_WATCHLIST": "AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM",
    }
    dashboard = environment_of(plan, "dashboard")
    check(
        dashboard
        == common
        | {
            "SENTIMENT_RATE_LIMITS": "anonymous_session=10/1h,config_write=30/1h,read=300/1m,default=100/1m",
            "SENTIMENT_CORS_ORIGINS": "",
            "SENTIMENT_TRUSTED_PROXIES": "1",
            "SENTIMENT_MAX_CONFIGS": "5",
            "SENTIMENT_MAX_TICKERS": "10",
            "SENTIMENT_SESSION_TTL": "30d",
        },
        f"dashboard environment {dashboard}",
    )
    # The ingestion environment holds the secret ARNs, unknown until apply: check_deployment.py
    # compares it after the apply.
    for role in ("dashboard", "ingestion"):
        fn = after(plan, f"module.{role}_lambda.aws_lambda_function.this")
        check(fn.get("reserved_concurrent_executions") == -1, f"{role} must be unreserved by default")
        check(fn.get("layers") == [], f"{role} must have no Lambda Insights layer in preprod")
    check(
        not of_type(plan, "aws_lambda_provisioned_concurrency_config"), "provisioned concurrency must be off by default"
    )
    check(
        after(plan, "module.dynamodb.aws_dynamodb_table.this").get("billing_mode") == "PAY_PER_REQUEST",
        "preprod billing mode",
    )
    check(
        after(plan, "module.dynamodb.aws_dynamodb_table.this").get("deletion_protection_enabled") is False,
        "preprod deletion protection off",
    )
    check(not of_type(plan, "aws_appautoscaling_target"), "no autoscaling on demand")
    check(
        after(plan, "module.dashboard_lambda.aws_lambda_function_url.this[0]").get("authorization_type") == "AWS_IAM",
        "URL auth",
    )
    check(
        all(rc["change"]["after"]["principal"] != "*" for rc in of_type(plan, "aws_lambda_permission")),
        "no public Lambda permission with AWS_IAM",
    )
    oac = after(plan, "module.cdn.aws_cloudfront_origin_access_control.api[0]")
    check(
        (oac.get("origin_access_control_origin_type"), oac.get("signing_behavior"), oac.get("signing_protocol"))
        == ("lambda", "always", "sigv4"),
        f"Function URL OAC {oac}",
    )
    check(
        origins_signed(plan) == {"web-bucket": True, "dashboard-function-url": True},
        f"both origins need origin access control: {origins_signed(plan)}",
    )
    grants = {
        rc["change"]["after"]["action"]: rc["change"]["after"]
        for rc in of_type(plan, "aws_lambda_permission")
        if rc["module_address"] == "module.cdn"
    }
    check(set(grants) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, f"CloudFront grants {sorted(grants)}")
    check(
        all(g["principal"] == "cloudfront.amazonaws.com" and g["qualifier"] == "prod-warm" for g in grants.values()),
        "CloudFront grants on prod-warm",
    )
    objects = sorted(rc["change"]["after"]["key"] for rc in of_type(plan, "aws_s3_object"))
    check(objects == ["app.js", "img/logo.svg", "index.html", "styles.css"], f"web objects {objects}")
    types = {
        rc["change"]["after"]["key"]: rc["change"]["after"]["content_type"] for rc in of_type(plan, "aws_s3_object")
    }
    check(
        types.get("index.html", "").startswith("text/html") and types.get("img/logo.svg") == "image/svg+xml",
        f"content types {types}",
    )
    names = alarm_names(plan)
    check(
        len(names) == 14 and all(n.endswith("-critical") for n in names),
        f"preprod must have the 14 critical alarms, got {len(names)}: {names}",
    )


def check_prod(plan: dict) -> None:
    check_common(plan, "prod")
    names = alarm_names(plan)
    check(len(names) == 31, f"prod must have 31 alarms (14 critical + 17 warning), got {len(names)}")
    check(sum(n.endswith("-warning") for n in names) == 17, "prod warning alarms")
    table = after(plan, "module.dynamodb.aws_dynamodb_table.this")
    check(table.get("deletion_protection_enabled") is True, "prod table must be deletion protected")
    check(
        len(of_type(plan, "aws_dynamodb_contributor_insights")) == 2,
        "prod needs Contributor Insights on table and GSI1",
    )
    for role in ("dashboard", "ingestion"):
        fn = after(plan, f"module.{role}_lambda.aws_lambda_function.this")
        layers = fn.get("layers") or []
        check(
            len(layers) == 1 and "LambdaInsightsExtension-Arm64" in layers[0],
            f"prod {role} Lambda Insights layer {layers}",
        )
        group = after(plan, f"module.{role}_lambda.aws_cloudwatch_log_group.this")
        check(group.get("retention_in_days") == 30, f"prod {role} log retention")
    check(not of_type(plan, "aws_s3_object"), "a missing web assets directory must plan with no objects")


def check_variant(plan: dict) -> None:
    targets = [rc["change"]["after"] for rc in of_type(plan, "aws_appautoscaling_target")]
    dimensions = sorted(t["scalable_dimension"] for t in targets)
    check(
        dimensions
        == sorted(
            [
                "dynamodb:table:ReadCapacityUnits",
                "dynamodb:table:WriteCapacityUnits",
                "dynamodb:index:ReadCapacityUnits",
                "dynamodb:index:WriteCapacityUnits",
            ]
        ),
        f"autoscaling dimensions {dimensions}",
    )
    policies = [rc["change"]["after"] for rc in of_type(plan, "aws_appautoscaling_policy")]
    check(
        len(policies) == 4
        and all(p["target_tracking_scaling_policy_configuration"][0]["target_value"] == 70 for p in policies),
        "four target-tracking policies at 70%",
    )
    table = after(plan, "module.dynamodb.aws_dynamodb_table.this")
    check(table.get("billing_mode") == "PROVISIONED" and table.get("read_capacity") == 5, "provisioned table capacity")
    names = alarm_names(plan)
    capacity = [n for n in names if "-capacity-" in n]
    check(len(capacity) == 4, f"capacity alarms (read/write x warning/critical) {capacity}")
    check(len(names) == 35, f"PROVISIONED with warnings must have 35 alarms, got {len(names)}")
    public = [
        rc["change"]["after"]
        for rc in of_type(plan, "aws_lambda_permission")
        if rc["change"]["after"]["principal"] == "*"
    ]
    check(
        sorted(p["action"] for p in public) == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
        f"NONE auth grants {public}",
    )
    check(
        not [rc for rc in of_type(plan, "aws_cloudfront_origin_access_control") if "api" in rc["address"]],
        "no Function URL OAC with NONE",
    )
    check(
        origins_signed(plan) == {"web-bucket": True, "dashboard-function-url": False},
        f"with NONE the Function URL origin is unsigned: {origins_signed(plan)}",
    )
    check(
        not [rc for rc in of_type(plan, "aws_lambda_permission") if rc["module_address"] == "module.cdn"],
        "no CloudFront grants with NONE",
    )


def check_provisioned_concurrency(plan: dict) -> None:
    configs = of_type(plan, "aws_lambda_provisioned_concurrency_config", creating_only=True)
    check(len(configs) == 1, f"one provisioned concurrency config must be created, got {len(configs)}")
    if configs:
        config = configs[0]["change"]["after"]
        check(config["function_name"] == "sentiment-analyzer-preprod-dashboard", f"function {config['function_name']}")
        check(config["qualifier"] == "prod-warm", f"qualifier {config['qualifier']}")
        check(
            config["provisioned_concurrent_executions"] == 10,
            f"executions {config['provisioned_concurrent_executions']}",
        )
    destructive = [rc["address"] for rc in plan.get("resource_changes", []) if "delete" in rc["change"]["actions"]]
    check(not destructive, f"turning provisioned concurrency on must not delete or replace anything: {destructive}")


def changed(plan: dict) -> dict[str, list[str]]:
    return {
        rc["address"]: rc["change"]["actions"]
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] != ["no-op"]
    }


def check_runbook_schedule(plan: dict) -> None:
    """Procedure 4: -target=module.eventbridge with a new schedule, without the Lambda zips."""
    actions = changed(plan)
    check(
        actions == {"module.eventbridge.aws_cloudwatch_event_rule.schedule": ["update"]},
        f"only the schedule may change: {actions}",
    )
    rule = after(plan, "module.eventbridge.aws_cloudwatch_event_rule.schedule")
    check(rule.get("schedule_expression") == "rate(5 minutes)", f"new schedule {rule.get('schedule_expression')}")


def check_runbook_provisioned(plan: dict) -> None:
    """Procedure 2: -target=module.dynamodb switching to PROVISIONED, without the Lambda zips."""
    actions = changed(plan)
    outside = [address for address in actions if not address.startswith("module.dynamodb.")]
    check(not outside, f"only module.dynamodb may change: {outside}")
    check(
        actions.get("module.dynamodb.aws_dynamodb_table.this") == ["update"],
        f"the table must be updated in place: {actions}",
    )
    check(
        sum(a == ["create"] for a in actions.values()) == 8,
        f"four autoscaling targets and policies must be created: {actions}",
    )


def check_runbook_restore(plan: dict) -> None:
    """docs/runbooks/restore-table.md: a restore carries neither TTL nor PITR (nor tags, deletion
    protection, Contributor Insights); -target=module.dynamodb must put them back in place."""
    actions = changed(plan)
    check(
        actions.get("module.dynamodb.aws_dynamodb_table.this") == ["update"],
        f"the restored table must be updated in place: {actions}",
    )
    destructive = [address for address, action in actions.items() if "delete" in action]
    check(not destructive, f"nothing may be replaced or destroyed after a restore: {destructive}")
    outside = [address for address in actions if not address.startswith("module.dynamodb.")]
    check(not outside, f"only module.dynamodb may change: {outside}")
    table = after(plan, "module.dynamodb.aws_dynamodb_table.this")
    check(table.get("point_in_time_recovery", [{}])[0].get("enabled") is True, "PITR must come back on")
    check(table.get("ttl", [{}])[0].get("enabled") is True, "TTL must come back on")


def main() -> int:
    kind, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        plan = json.load(f)
    {
        "preprod": check_preprod,
        "prod": check_prod,
        "variant": check_variant,
        "provisioned-concurrency": check_provisioned_concurrency,
        "runbook-schedule": check_runbook_schedule,
        "runbook-provisioned": check_runbook_provisioned,
        "runbook-restore": check_runbook_restore,
    }[kind](plan)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
