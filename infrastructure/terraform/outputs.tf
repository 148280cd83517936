output "table_name" {
  description = "DynamoDB table (runbook: sentiment-analyzer-<env>)."
  value       = module.dynamodb.table_name
}

output "dashboard_function_name" {
  description = "Dashboard API Lambda (runbook: sentiment-analyzer-<env>-dashboard)."
  value       = module.dashboard_lambda.function_name
}

output "ingestion_function_name" {
  description = "Ingestion Lambda."
  value       = module.ingestion_lambda.function_name
}

output "dashboard_alias" {
  description = "Alias serving the Function URL and holding provisioned concurrency."
  value       = module.dashboard_lambda.alias_name
}

output "function_url" {
  description = "Dashboard Function URL. With dashboard_url_auth = AWS_IAM only CloudFront can call it; use cloudfront_url."
  value       = module.dashboard_lambda.function_url
}

output "cloudfront_domain" {
  description = "Domain of the CloudFront distribution serving the web dashboard and the API."
  value       = module.cdn.domain_name
}

output "cloudfront_url" {
  description = "https:// URL of the service (API_URL for smoke and load tests)."
  value       = "https://${module.cdn.domain_name}"
}

output "cloudfront_distribution_id" {
  description = "Distribution ID, for cache invalidations."
  value       = module.cdn.distribution_id
}

output "web_bucket" {
  description = "Bucket holding the static web dashboard."
  value       = module.cdn.web_bucket
}

output "cloudwatch_dashboard_name" {
  description = "CloudWatch dashboard (runbook: sentiment-analyzer-<env>-dashboard)."
  value       = module.monitoring.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic all alarms notify."
  value       = module.monitoring.alarm_topic_arn
}

output "alarm_names" {
  description = "Every CloudWatch alarm created, critical first."
  value       = module.monitoring.alarm_names
}

output "event_bus_name" {
  description = "The application's EventBridge bus."
  value       = module.events.bus_name
}

output "sentiment_shifts_topic_arn" {
  description = "SNS topic receiving SentimentShifted events."
  value       = module.events.sentiment_shifts_topic_arn
}

output "ingestion_schedule_rule" {
  description = "EventBridge rule running the ingestion."
  value       = module.eventbridge.rule_name
}

output "ingestion_dlq_name" {
  description = "SQS queue receiving failed ingestion runs."
  value       = module.eventbridge.dlq_name
}

output "secret_arns" {
  description = "API key secrets by vendor; put their values with aws secretsmanager put-secret-value."
  value       = module.secrets.secret_arns
}

output "secret_names" {
  description = "API key secret names by vendor."
  value       = module.secrets.secret_names
}
