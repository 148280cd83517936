output "secret_arns" {
  description = "ARN of each vendor's API key secret, keyed by vendor (tiingo, finnhub)."
  value       = { for vendor, secret in aws_secretsmanager_secret.api_key : vendor => secret.arn }
}

output "secret_names" {
  description = "Name of each vendor's API key secret, keyed by vendor."
  value       = { for vendor, secret in aws_secretsmanager_secret.api_key : vendor => secret.name }
}
