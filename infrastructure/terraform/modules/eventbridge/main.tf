# The ingestion schedule and the queue where failed runs end up. The function's side of both
# (permission for this rule, the on-failure destination) is configured on the function itself
# (modules/lambda), which keeps this module free of references to it: the runbook's
# `terraform apply -target=module.eventbridge` then touches only what is here.

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-ingestion-schedule"
  description         = "Runs the ingestion Lambda"
  schedule_expression = var.schedule_expression
}

resource "aws_cloudwatch_event_target" "ingestion" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "ingestion-lambda"
  arn       = var.function_arn
}

# EventBridge invokes the function asynchronously; Lambda sends an event it gave up on here,
# with the error.
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-ingestion-dlq"
  message_retention_seconds = 1209600 # the maximum, 14 days, to leave time for a post-mortem
  sqs_managed_sse_enabled   = true
}
