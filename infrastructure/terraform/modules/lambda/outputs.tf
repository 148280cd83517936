output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "version" {
  description = "Latest published version (\"$LATEST\" when not publishing)."
  value       = aws_lambda_function.this.version
}

output "alias_name" {
  description = "Name of the alias, or null."
  value       = one(aws_lambda_alias.this[*].name)
}

output "alias_arn" {
  description = "ARN of the alias, or null."
  value       = one(aws_lambda_alias.this[*].arn)
}

output "function_url" {
  description = "Function URL (https://<id>.lambda-url.<region>.on.aws/), or null."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "role_name" {
  description = "Name of the execution role, for policies attached elsewhere (e.g. the async failure destination)."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}
