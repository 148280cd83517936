variable "function_name" {
  description = "Name of the function; its log group is /aws/lambda/<function_name>."
  type        = string
}

variable "description" {
  description = "Description of the function."
  type        = string
}

variable "zip_path" {
  description = "Deployment package: a zip holding the executable bootstrap (runtime provided.al2023)."
  type        = string
}

variable "memory_mb" {
  description = "Memory in MB."
  type        = number
}

variable "timeout_seconds" {
  description = "Timeout in seconds."
  type        = number
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency; -1 = unreserved."
  type        = number
}

variable "environment_variables" {
  description = "Environment of the function."
  type        = map(string)
}

variable "lambda_insights_layer" {
  description = "Lambda Insights extension layer ARN to add, or null for none."
  type        = string
  default     = null
}

variable "table_arn" {
  description = "DynamoDB table the function reads and writes (with its indexes)."
  type        = string
}

variable "table_actions" {
  description = "DynamoDB actions allowed on the table and its indexes."
  type        = list(string)
}

variable "secret_arns" {
  description = "Secrets Manager secrets the function may read."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "event_bus_arn" {
  description = "Event bus the function may put events on, or null."
  type        = string
  default     = null
}

variable "invoke_permissions" {
  description = "Services allowed to invoke the function (lambda:InvokeFunction), keyed by statement ID: { principal, source_arn }."
  type = map(object({
    principal  = string
    source_arn = string
  }))
  default  = {}
  nullable = false
}

variable "async_invocation" {
  description = "How asynchronous invocations are handled, or null for Lambda's defaults: failure_destination_arn (SQS queue receiving events that failed every attempt), retry_attempts (0-2), max_event_age_seconds (60-21600)."
  type = object({
    failure_destination_arn = string
    retry_attempts          = number
    max_event_age_seconds   = number
  })
  default = null

  validation {
    condition = var.async_invocation == null || (
      contains([0, 1, 2], try(var.async_invocation.retry_attempts, -1))
      && try(var.async_invocation.max_event_age_seconds >= 60 && var.async_invocation.max_event_age_seconds <= 21600, false)
    )
    error_message = "async_invocation needs retry_attempts 0-2 and max_event_age_seconds 60-21600."
  }
}

variable "publish" {
  description = "Publish a version on every code or configuration change."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "Alias pointing at the latest published version (needs publish), or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alias_name == null || var.publish
    error_message = "An alias needs publish = true."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency on the alias; 0 = off."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrency == 0 || var.alias_name != null
    error_message = "Provisioned concurrency needs an alias."
  }
}

variable "function_url_auth_type" {
  description = "Create a Function URL (on the alias if there is one) with this auth type (AWS_IAM or NONE); null = no URL."
  type        = string
  default     = null

  validation {
    condition     = var.function_url_auth_type == null || contains(["AWS_IAM", "NONE"], coalesce(var.function_url_auth_type, "-"))
    error_message = "function_url_auth_type must be AWS_IAM, NONE or null."
  }
}
