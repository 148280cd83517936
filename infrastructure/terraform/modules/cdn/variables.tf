variable "name" {
  description = "Name prefix (sentiment-analyzer-<env>)."
  type        = string
}

variable "function_name" {
  description = "Dashboard function behind the API origin."
  type        = string
}

variable "function_qualifier" {
  description = "Alias the Function URL belongs to (its permissions live there), or null for the unqualified function."
  type        = string
  default     = null
}

variable "function_url" {
  description = "Dashboard Function URL, https://<id>.lambda-url.<region>.on.aws/."
  type        = string
}

variable "function_url_auth_type" {
  description = "AWS_IAM: CloudFront signs origin requests (origin access control) and is the only caller allowed. NONE: the URL is public and requests go unsigned."
  type        = string

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be AWS_IAM or NONE."
  }
}

variable "cached_api_paths" {
  description = "API path patterns cached as the origin's Cache-Control allows (0-300 s), keyed by query string."
  type        = list(string)
}

variable "web_assets_dir" {
  description = "Directory uploaded to the web bucket; missing or empty uploads nothing."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
}

variable "domain_aliases" {
  description = "Custom domain names (need acm_certificate_arn)."
  type        = list(string)
  default     = []
}

variable "acm_certificate_arn" {
  description = "us-east-1 ACM certificate for domain_aliases, or null for the default *.cloudfront.net certificate."
  type        = string
  default     = null
}
