output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe on-call tooling here."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of every alarm, critical first."
  value = concat(
    sort([for k, a in aws_cloudwatch_metric_alarm.this : a.alarm_name if local.alarms[k].severity == "critical"]),
    sort([for k, a in aws_cloudwatch_metric_alarm.this : a.alarm_name if local.alarms[k].severity == "warning"]),
  )
}
