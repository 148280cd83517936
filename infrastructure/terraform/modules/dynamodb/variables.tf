variable "table_name" {
  description = "Name of the table."
  type        = string
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST or PROVISIONED."
  type        = string

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "PROVISIONED only: table read capacity units and autoscaling minimum."
  type        = number
}

variable "write_capacity" {
  description = "PROVISIONED only: table write capacity units and autoscaling minimum."
  type        = number
}

variable "gsi_read_capacity" {
  description = "PROVISIONED only: GSI1 read capacity units and autoscaling minimum."
  type        = number
}

variable "gsi_write_capacity" {
  description = "PROVISIONED only: GSI1 write capacity units and autoscaling minimum."
  type        = number
}

variable "autoscaling_max_capacity" {
  description = "PROVISIONED only: autoscaling maximum for every read and write dimension."
  type        = number
}

variable "autoscaling_target_utilization" {
  description = "PROVISIONED only: target utilisation percentage of the target-tracking policies."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse DeleteTable."
  type        = bool
}

variable "contributor_insights" {
  description = "Enable CloudWatch Contributor Insights (most accessed and throttled keys) on the table and its index."
  type        = bool
  default     = false
}
