variable "name" {
  description = "Name prefix (sentiment-analyzer-<env>) of the topic, the dashboard and every alarm."
  type        = string
}

variable "environment" {
  description = "Value of the Environment dimension of the application's metrics."
  type        = string
}

variable "aws_region" {
  description = "Region of the dashboard's regional metrics."
  type        = string
}

variable "alarm_email" {
  description = "Email subscribed to the alarm topic; null = none."
  type        = string
  default     = null
}

variable "enable_warning_alarms" {
  description = "Create the warning-level alarms besides the critical ones."
  type        = bool
}

variable "functions" {
  description = "Lambda functions to alarm on, keyed by role (dashboard, ingestion)."
  type = map(object({
    name                 = string
    reserved_concurrency = number
    duration_p95_ms = object({
      warning  = number
      critical = number
    })
  }))
}

variable "account_concurrency_limit" {
  description = "Concurrency limit of an unreserved function (the account's)."
  type        = number
}

variable "table_name" {
  description = "DynamoDB table to alarm on."
  type        = string
}

variable "gsi_name" {
  description = "The table's global secondary index, charted on the dashboard."
  type        = string
}

variable "billing_mode" {
  description = "The table's billing mode; capacity alarms exist only when PROVISIONED."
  type        = string
}

variable "table_operations" {
  description = "DynamoDB operations the code performs, summed for the SystemErrors alarm."
  type        = list(string)
  default     = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems"]
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the application's EMF metrics."
  type        = string
  default     = "SentimentAnalyzer"
}

variable "sources" {
  description = "News sources, values of the Source dimension of the ingestion metrics."
  type        = list(string)
  default     = ["tiingo", "finnhub"]
}

variable "no_new_articles_hours" {
  description = "Hours without a new article before the critical alarm."
  type        = number
}

variable "distribution_id" {
  description = "CloudFront distribution charted on the dashboard."
  type        = string
}

variable "dlq_name" {
  description = "Queue of failed ingestion events, charted on the dashboard."
  type        = string
}
