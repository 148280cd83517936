output "bus_name" {
  description = "Name of the application's event bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "ARN of the application's event bus."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "sentiment_shifts_topic_arn" {
  description = "ARN of the SNS topic receiving SentimentShifted events."
  value       = aws_sns_topic.sentiment_shifts.arn
}
