# Test-only: scripts/check-infrastructure copies this file into modules/cdn of its temporary copy
# to step around two moto bugs; the configuration applied to AWS is unchanged.

# moto treats any bucket-policy statement whose condition it cannot evaluate as a Deny, so the
# TLS-only statement (aws:SecureTransport) would refuse every object call over moto's plain HTTP.
# Nested blocks in an override replace all blocks of that type: this keeps only the CloudFront
# read grant.

data "aws_iam_policy_document" "web" {
  statement {
    sid       = "CloudFrontReads"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}

# moto crashes deleting delete markers, so emptying a versioned bucket on destroy never ends.
resource "aws_s3_bucket_versioning" "web" {
  versioning_configuration {
    status = "Disabled"
  }
}
