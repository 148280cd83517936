variable "name" {
  description = "Name prefix (sentiment-analyzer-<env>)."
  type        = string
}

variable "schedule_expression" {
  description = "rate(...) or cron(...) on which the ingestion function runs."
  type        = string
}

variable "function_arn" {
  description = "ARN of the ingestion function. Passed as a plain value, not a reference to the function resource, so `-target=module.eventbridge` changes the schedule without planning (or deploying) the function."
  type        = string
}
