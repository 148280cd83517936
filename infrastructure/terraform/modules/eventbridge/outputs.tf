output "rule_name" {
  description = "Name of the schedule rule."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "rule_arn" {
  description = "ARN of the schedule rule (the function allows it to invoke)."
  value       = aws_cloudwatch_event_rule.schedule.arn
}

output "dlq_name" {
  description = "Name of the queue receiving failed ingestion events."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_arn" {
  description = "ARN of the queue receiving failed ingestion events."
  value       = aws_sqs_queue.dlq.arn
}
