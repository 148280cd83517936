# The application's own event bus. The ingestion Lambda puts domain events on it; the rule
# below is the example consumer: SentimentShifted events fan out to an SNS topic.

resource "aws_cloudwatch_event_bus" "this" {
  name = var.name
}

resource "aws_sns_topic" "sentiment_shifts" {
  #checkov:skip=CKV_AWS_26:EventBridge can publish to a KMS-encrypted topic only through a customer managed key ($1/month and a key policy); the messages are public market sentiment.
  name = "${var.name}-sentiment-shifts"
}

data "aws_iam_policy_document" "sentiment_shifts" {
  statement {
    sid       = "EventBridgeRulePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.sentiment_shifts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.sentiment_shifted.arn]
    }
  }
}

resource "aws_sns_topic_policy" "sentiment_shifts" {
  arn    = aws_sns_topic.sentiment_shifts.arn
  policy = data.aws_iam_policy_document.sentiment_shifts.json
}

resource "aws_cloudwatch_event_rule" "sentiment_shifted" {
  name           = "${var.name}-sentiment-shifted"
  description    = "SentimentShifted events from the application to the sentiment-shifts topic"
  event_bus_name = aws_cloudwatch_event_bus.this.name

  event_pattern = jsonencode({
    source        = [var.event_source]
    "detail-type" = ["SentimentShifted"]
  })
}

resource "aws_cloudwatch_event_target" "sentiment_shifts_topic" {
  rule           = aws_cloudwatch_event_rule.sentiment_shifted.name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  target_id      = "sentiment-shifts-topic"
  arn            = aws_sns_topic.sentiment_shifts.arn
}

resource "aws_sns_topic_subscription" "sentiment_shifts_email" {
  count = var.shift_notification_email == null ? 0 : 1

  topic_arn = aws_sns_topic.sentiment_shifts.arn
  protocol  = "email"
  endpoint  = var.shift_notification_email
}
