output "table_name" {
  description = "Name of the table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table (its indexes are <arn>/index/*)."
  value       = aws_dynamodb_table.this.arn
}

output "gsi_name" {
  description = "Name of the global secondary index."
  value       = local.gsi_name
}
