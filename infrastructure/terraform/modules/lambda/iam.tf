# Least privilege: the function's own log group, X-Ray, the table and its indexes with the given
# item actions only, and - where passed in - named secrets, one event bus and one failure queue.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-role"
  description        = "Execution role of ${var.function_name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

locals {
  insights_log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda-insights"
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid = "XRay"
    # X-Ray's write actions have no resource-level permissions.
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "Table"
    actions   = var.table_actions
    resources = [var.table_arn, "${var.table_arn}/index/*"]
  }

  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []

    content {
      sid       = "ApiKeySecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }

  dynamic "statement" {
    for_each = var.event_bus_arn == null ? [] : [1]

    content {
      sid       = "EventBus"
      actions   = ["events:PutEvents"]
      resources = [var.event_bus_arn]
    }
  }

  # Lambda delivers failed asynchronous events with the function's own role.
  dynamic "statement" {
    for_each = var.async_invocation == null ? [] : [var.async_invocation.failure_destination_arn]

    content {
      sid       = "AsyncFailureDestination"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  # The Lambda Insights extension writes performance events to its own shared log group.
  dynamic "statement" {
    for_each = var.lambda_insights_layer == null ? [] : [1]

    content {
      sid       = "LambdaInsights"
      actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
      resources = [local.insights_log_group_arn, "${local.insights_log_group_arn}:*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-policy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
