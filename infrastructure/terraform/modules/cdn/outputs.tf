output "distribution_id" {
  description = "ID of the distribution (for invalidations and its CloudWatch metrics)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the distribution."
  value       = aws_cloudfront_distribution.this.arn
}

output "domain_name" {
  description = "The distribution's *.cloudfront.net domain name."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "web_bucket" {
  description = "Name of the bucket holding the static web dashboard."
  value       = aws_s3_bucket.web.id
}
