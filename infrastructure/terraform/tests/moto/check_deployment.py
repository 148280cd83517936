#!/usr/bin/env python3
"""Assertions against moto after `terraform apply` of preprod, for scripts/check-infrastructure.

Checks that what the runbook and the code rely on exists under the exact names, read back from
the (fake) AWS APIs with boto3. Endpoints and dummy credentials come from the environment
(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDFRONT, AWS_ACCESS_KEY_ID, ...).

Usage: check_deployment.py deployed OUTPUTS_JSON   (terraform output -json)
       check_deployment.py runbook-cloudwatch
       check_deployment.py destroyed
"""

import json
import sys
from datetime import datetime, timedelta, timezone

import boto3
from botocore.exceptions import ClientError

ENV = "preprod"
NAME = f"sentiment-analyzer-{ENV}"
failures: list[str] = []

COMMON_ENVIRONMENT = {
    "SENTIMENT_STORE": "dynamodb",
    "SENTIMENT_TABLE": NAME,
    "SENTIMENT_ENVIRONMENT": ENV,
    "SENTIMENT_LOG_FORMAT": "json",
    "SENTIMENT_WATCHLIST": "AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM",
}
INGESTION_ENVIRONMENT = {
    "SENTIMENT_SOURCE": "live",
    "SENTIMENT_LOOKBACK": "2d",
    "SENTIMENT_QUOTAS": "tiingo=50/1h;1000/1d;500 symbols/1mo,finnhub=60/1m;30/1s",
    "SENTIMENT_CIRCUIT_BREAKER": "failure_threshold=5,open_for=60s,half_open_probes=1",
    "SENTIMENT_MODEL": "encoder",
    "SENTIMENT_EVENTS": "eventbridge",
    "SENTIMENT_EVENT_BUS": NAME,
}


def check(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)


def client(service: str):
    return boto3.client(service, region_name="us-east-1")


def check_table() -> None:
    ddb = client("dynamodb")
    table = ddb.describe_table(TableName=NAME)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    check(keys == {"PK": "HASH", "SK": "RANGE"}, f"table keys {keys}")
    gsis = table.get("GlobalSecondaryIndexes", [])
    gsi_keys = {k["AttributeName"]: k["KeyType"] for k in gsis[0]["KeySchema"]} if gsis else {}
    check(
        len(gsis) == 1
        and gsis[0]["IndexName"] == "GSI1"
        and gsi_keys == {"GSI1PK": "HASH", "GSI1SK": "RANGE"}
        and gsis[0]["Projection"]["ProjectionType"] == "ALL",
        f"GSI1 {gsis}",
    )
    ttl = ddb.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]
    check(ttl.get("AttributeName") == "expires_at" and ttl.get("TimeToLiveStatus") == "ENABLED", f"TTL {ttl}")
    pitr = ddb.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    check(pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", "point-in-time recovery")


def check_functions(outputs: dict) -> None:
    lam = client("lambda")
    secrets = outputs["secret_arns"]["value"]
    for role in ("dashboard", "ingestion"):
        config = lam.get_function_configuration(FunctionName=f"{NAME}-{role}")
        check(
            config["Runtime"] == "provided.al2023" and config["Handler"] == "bootstrap",
            f"{role} runtime {config['Runtime']}",
        )
        check(config.get("Architectures") == ["arm64"], f"{role} architectures {config.get('Architectures')}")
        check(config.get("TracingConfig", {}).get("Mode") == "Active", f"{role} tracing {config.get('TracingConfig')}")
        variables = config.get("Environment", {}).get("Variables", {})
        for key, value in COMMON_ENVIRONMENT.items():
            check(variables.get(key) == value, f"{role} {key}={variables.get(key)!r}, want {value!r}")
        if role == "ingestion":
            expected = (
                COMMON_ENVIRONMENT
                | INGESTION_ENVIRONMENT
                | {
                    "TIINGO_SECRET_ARN": secrets["tiingo"],
                    "FINNHUB_SECRET_ARN": secrets["finnhub"],
                }
            )
            check(variables == expected, f"ingestion environment {variables} != {expected}")

    alias = lam.get_alias(FunctionName=f"{NAME}-dashboard", Name="prod-warm")
    check(
        alias["FunctionVersion"] not in ("$LATEST", ""),
        f"prod-warm must point at a published version, got {alias['FunctionVersion']}",
    )
    url = lam.get_function_url_config(FunctionName=f"{NAME}-dashboard", Qualifier="prod-warm")
    check(url["AuthType"] == "AWS_IAM", f"URL auth {url['AuthType']}")
    check(url["FunctionUrl"].rstrip("/") == outputs["function_url"]["value"].rstrip("/"), "function_url output")

    policy = json.loads(lam.get_policy(FunctionName=f"{NAME}-dashboard", Qualifier="prod-warm")["Policy"])
    distribution_arn = client("cloudfront").get_distribution(Id=outputs["cloudfront_distribution_id"]["value"])[
        "Distribution"
    ]["ARN"]
    cloudfront_actions = sorted(
        s["Action"]
        for s in policy["Statement"]
        if s.get("Principal", {}).get("Service") == "cloudfront.amazonaws.com"
        and distribution_arn in json.dumps(s.get("Condition", {}))
    )
    check(
        cloudfront_actions == ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
        f"CloudFront grants on prod-warm {cloudfront_actions}",
    )
    check(not [s for s in policy["Statement"] if s.get("Principal") == "*"], "no public grant with AWS_IAM")

    invoke = lam.get_function_event_invoke_config(FunctionName=f"{NAME}-ingestion")
    dlq_url = client("sqs").get_queue_url(QueueName=f"{NAME}-ingestion-dlq")["QueueUrl"]
    dlq_arn = client("sqs").get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    check(
        invoke["DestinationConfig"]["OnFailure"]["Destination"] == dlq_arn,
        "ingestion on-failure destination must be the DLQ",
    )
    check(invoke["MaximumRetryAttempts"] == 0, "ingestion retries")


def statements(role_name: str) -> list[dict]:
    iam = client("iam")
    found = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found.append({"actions": set(actions), "resources": set(resources)})
    return found


def check_iam(outputs: dict) -> None:
    table_arn = client("dynamodb").describe_table(TableName=NAME)["Table"]["TableArn"]
    table_actions = {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
    }
    bus_arn = client("events").describe_event_bus(Name=NAME)["Arn"]
    secrets = set(outputs["secret_arns"]["value"].values())
    for role in ("dashboard", "ingestion"):
        found = statements(f"{NAME}-{role}-role")
        everything = set().union(*(s["actions"] for s in found))
        check(
            not any(a in everything for a in ("dynamodb:Scan", "dynamodb:*", "*")),
            f"{role} must not be allowed Scan or wildcards: {sorted(everything)}",
        )
        table = [s for s in found if s["actions"] & table_actions]
        check(
            len(table) == 1
            and table[0]["actions"] == table_actions
            and table[0]["resources"] == {table_arn, f"{table_arn}/index/*"},
            f"{role} table statement {table}",
        )
        logs = [s for s in found if "logs:PutLogEvents" in s["actions"]]
        check(
            len(logs) == 1 and all(f"log-group:/aws/lambda/{NAME}-{role}:" in r for r in logs[0]["resources"]),
            f"{role} log permissions {logs}",
        )
        check({"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= everything, f"{role} X-Ray permissions")
        read_secrets = [s for s in found if "secretsmanager:GetSecretValue" in s["actions"]]
        put_events = [s for s in found if "events:PutEvents" in s["actions"]]
        if role == "ingestion":
            check(
                len(read_secrets) == 1 and read_secrets[0]["resources"] == secrets, f"ingestion secrets {read_secrets}"
            )
            check(len(put_events) == 1 and put_events[0]["resources"] == {bus_arn}, f"ingestion PutEvents {put_events}")
        else:
            check(not read_secrets and not put_events, "the dashboard must not read secrets or put events")


def check_observability(outputs: dict) -> None:
    logs = client("logs")
    groups = {
        g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}-")["logGroups"]
    }
    for role in ("dashboard", "ingestion"):
        group = groups.get(f"/aws/lambda/{NAME}-{role}")
        check(group is not None and group.get("retentionInDays") == 14, f"log group of {role}: {group}")

    cw = client("cloudwatch")
    body = json.loads(cw.get_dashboard(DashboardName=f"{NAME}-dashboard")["DashboardBody"])
    charted = json.dumps(body)
    for metric in (
        "ConcurrentExecutions",
        "Duration",
        "Errors",
        "Throttles",
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        "SystemErrors",
        "ApiLatencyMs",
        "ApiRequests",
        "Api5xx",
        "Api429",
        "NewArticles",
        "ArticlesFetched",
        "DuplicatesSkipped",
        "SourceErrors",
        "CircuitOpen",
        "QuotaRemaining",
        "IngestionDurationMs",
    ):
        check(f'"{metric}"' in charted or f'MetricName=\\"{metric}\\"' in charted, f"dashboard must chart {metric}")

    expected = outputs["alarm_names"]["value"]
    alarms = cw.describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    check(
        sorted(a["AlarmName"] for a in alarms) == sorted(expected),
        f"alarms {sorted(a['AlarmName'] for a in alarms)} != output {sorted(expected)}",
    )
    topic = outputs["alarm_topic_arn"]["value"]
    check(all(a["AlarmActions"] == [topic] for a in alarms), "every alarm must notify the alarms topic")
    check(topic.endswith(f":{NAME}-alarms"), f"alarm topic {topic}")


def check_events(outputs: dict) -> None:
    events = client("events")
    rule = events.describe_rule(Name=f"{NAME}-ingestion-schedule")
    check(rule.get("ScheduleExpression") == "rate(15 minutes)", f"schedule {rule.get('ScheduleExpression')}")
    targets = events.list_targets_by_rule(Rule=f"{NAME}-ingestion-schedule")["Targets"]
    ingestion_arn = client("lambda").get_function_configuration(FunctionName=f"{NAME}-ingestion")["FunctionArn"]
    check([t["Arn"] for t in targets] == [ingestion_arn], f"schedule targets {targets}")
    buses = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    check(NAME in buses, f"event bus {NAME} missing from {buses}")
    shift_targets = events.list_targets_by_rule(Rule=f"{NAME}-sentiment-shifted", EventBusName=NAME)["Targets"]
    check(
        [t["Arn"] for t in shift_targets] == [outputs["sentiment_shifts_topic_arn"]["value"]],
        f"shift targets {shift_targets}",
    )
    secrets = client("secretsmanager")
    for vendor in ("tiingo", "finnhub"):
        secret = secrets.describe_secret(SecretId=f"sentiment-analyzer/{ENV}/{vendor}-api-key")
        check(secret["ARN"] == outputs["secret_arns"]["value"][vendor], f"{vendor} secret ARN")


def check_cdn(outputs: dict) -> None:
    s3 = client("s3")
    bucket = outputs["web_bucket"]["value"]
    index = s3.head_object(Bucket=bucket, Key="index.html")
    check(index["ContentType"].startswith("text/html"), f"index.html content type {index['ContentType']}")
    script = s3.head_object(Bucket=bucket, Key="app.js")
    check(script["ContentType"].startswith("text/javascript"), f"app.js content type {script['ContentType']}")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(all(block.values()), f"web bucket public access block {block}")

    config = client("cloudfront").get_distribution(Id=outputs["cloudfront_distribution_id"]["value"])["Distribution"][
        "DistributionConfig"
    ]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    api = origins.get("dashboard-function-url", {})
    check(api.get("DomainName", "") in outputs["function_url"]["value"], f"API origin {api.get('DomainName')}")
    check(
        origins.get("web-bucket", {}).get("DomainName", "").startswith(bucket),
        f"web origin {origins.get('web-bucket')}",
    )
    # moto does not keep the origins' access control IDs; check_plan.py checks them.


def check_runbook_cloudwatch() -> None:
    """The runbook's CloudWatch calls: 7 days of consumed read capacity (procedure 2), the dashboard."""
    cw = client("cloudwatch")
    now = datetime.now(timezone.utc)
    cw.get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="ConsumedReadCapacityUnits",
        Dimensions=[{"Name": "TableName", "Value": NAME}],
        StartTime=now - timedelta(days=7),
        EndTime=now,
        Period=3600,
        Statistics=["Maximum"],
    )
    cw.get_dashboard(DashboardName=f"{NAME}-dashboard")


def check_destroyed() -> None:
    try:
        client("dynamodb").describe_table(TableName=NAME)
        failures.append(f"table {NAME} still exists after destroy")
    except ClientError as error:
        check(error.response["Error"]["Code"] == "ResourceNotFoundException", f"unexpected error {error}")
    remaining = [
        f["FunctionName"] for f in client("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(NAME)
    ]
    check(not remaining, f"functions left after destroy: {remaining}")
    alarms = client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    check(not alarms, f"{len(alarms)} alarms left after destroy")


def main() -> int:
    if sys.argv[1] == "deployed":
        with open(sys.argv[2]) as f:
            outputs = json.load(f)
        check_table()
        for step in (check_functions, check_iam, check_observability, check_events, check_cdn):
            step(outputs)
    elif sys.argv[1] == "runbook-cloudwatch":
        check_runbook_cloudwatch()
    else:
        check_destroyed()
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
