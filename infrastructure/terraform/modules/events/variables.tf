variable "name" {
  description = "Name of the bus and prefix of the topic (sentiment-analyzer-<env>)."
  type        = string
}

variable "event_source" {
  description = "Source the application puts its events with."
  type        = string
  default     = "sentiment-analyzer"
}

variable "shift_notification_email" {
  description = "Email subscribed to the sentiment-shift topic; null = none."
  type        = string
  default     = null
}
