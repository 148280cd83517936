# Private bucket of the static web dashboard, readable only by the distribution.

data "aws_caller_identity" "current" {}

locals {
  # A missing directory (no web build yet) uploads nothing instead of failing the plan.
  web_files = try(fileset(var.web_assets_dir, "**"), toset([]))

  content_types = {
    html  = "text/html; charset=utf-8"
    css   = "text/css; charset=utf-8"
    js    = "text/javascript; charset=utf-8"
    mjs   = "text/javascript; charset=utf-8"
    json  = "application/json"
    map   = "application/json"
    svg   = "image/svg+xml"
    png   = "image/png"
    jpg   = "image/jpeg"
    jpeg  = "image/jpeg"
    gif   = "image/gif"
    webp  = "image/webp"
    ico   = "image/x-icon"
    txt   = "text/plain; charset=utf-8"
    xml   = "application/xml"
    wasm  = "application/wasm"
    woff  = "font/woff"
    woff2 = "font/woff2"
  }
}

resource "aws_s3_bucket" "web" {
  #checkov:skip=CKV_AWS_18:Reads go through CloudFront; S3 server access logs would duplicate them for a bucket that holds only public build output.
  #checkov:skip=CKV_AWS_144:Build output is reproducible from the repository; cross-region replication would double storage for nothing.
  #checkov:skip=CKV_AWS_145:SSE-S3 is enough for public static files, and SSE-KMS would need a customer managed key whose policy admits CloudFront.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads; Terraform is the only writer.
  bucket = "${var.name}-web-${data.aws_caller_identity.current.account_id}"

  # Holds only files Terraform uploads from the repository; destroying the environment must not
  # stall on old object versions.
  force_destroy = true
}

resource "aws_s3_bucket_ownership_controls" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "web" {
  bucket                  = aws_s3_bucket.web.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "web" {
  bucket = aws_s3_bucket.web.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    id     = "expire-replaced-assets"
    status = "Enabled"

    filter {}

    # Versions stay long enough to roll back a bad upload, then go.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.web]
}

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

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.web.arn, "${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "web" {
  bucket = aws_s3_bucket.web.id
  policy = data.aws_iam_policy_document.web.json

  depends_on = [aws_s3_bucket_public_access_block.web]
}

resource "aws_s3_object" "web" {
  for_each = local.web_files

  bucket       = aws_s3_bucket.web.id
  key          = each.value
  source       = "${var.web_assets_dir}/${each.value}"
  etag         = filemd5("${var.web_assets_dir}/${each.value}")
  content_type = lookup(local.content_types, lower(try(regex("\\.([^./]+)$", each.value)[0], "")), "application/octet-stream")

  # index.html names the other assets, so browsers and the edge must revalidate it to see a
  # deploy; the rest may be cached for an hour.
  cache_control = endswith(each.value, ".html") ? "no-cache" : "public, max-age=3600"
}
