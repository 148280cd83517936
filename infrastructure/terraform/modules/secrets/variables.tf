variable "name_prefix" {
  description = "Prefix of the secret names, e.g. sentiment-analyzer/preprod."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 = delete at once)."
  type        = number
}
