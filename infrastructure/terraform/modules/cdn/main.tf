# One distribution, two origins: the private web bucket serves the static dashboard (default
# behaviour) and the dashboard Function URL serves /api/* and /health.

locals {
  # AWS managed policies; their IDs are the same in every account.
  managed_cache_policy_caching_optimized           = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  managed_cache_policy_caching_disabled            = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  managed_origin_request_policy_all_viewer_no_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
  managed_response_headers_policy_security_headers = "67f7725c-6f97-4210-82d7-5512b31e9d03"

  web_origin_id = "web-bucket"
  api_origin_id = "dashboard-function-url"

  # https://<id>.lambda-url.<region>.on.aws/ -> <id>.lambda-url.<region>.on.aws
  api_origin_domain = split("/", var.function_url)[2]
  sign_api_requests = var.function_url_auth_type == "AWS_IAM"

  # Everything under /api/ that is not explicitly cacheable, plus the health check: per-user or
  # mutating, so never cached and sent with every viewer header (X-User-ID carries the session:
  # with origin access control the viewer's Authorization header cannot reach the function).
  uncached_api_paths = ["/api/*", "/health"]
}

resource "aws_cloudfront_origin_access_control" "api" {
  count = local.sign_api_requests ? 1 : 0

  name                              = "${var.name}-function-url"
  description                       = "CloudFront signs requests to the dashboard Function URL"
  origin_access_control_origin_type = "lambda"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_origin_access_control" "web" {
  name                              = "${var.name}-web-bucket"
  description                       = "CloudFront signs requests to the web bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# Cache only as long as the function's Cache-Control says (at most 5 minutes), per query string.
resource "aws_cloudfront_cache_policy" "api" {
  name        = "${var.name}-api-origin-cache-control"
  comment     = "Honour the dashboard API's Cache-Control; query strings in the key"
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = 300

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "all"
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:No WAF: a web ACL costs $5/month plus $1/rule; the API rate-limits per client itself (SENTIMENT_RATE_LIMITS). Add one when abuse shows up.
  #checkov:skip=CKV2_AWS_47:Follows from CKV_AWS_68: there is no WAF to attach the Log4j rule set to (and the origin is Rust, not Java).
  #checkov:skip=CKV_AWS_86:Access logs to S3 need an ACL-enabled log bucket and are rarely read; CloudWatch metrics and the function's own logs cover operations.
  #checkov:skip=CKV_AWS_310:Each path has exactly one origin; there is no second region or bucket to fail over to.
  #checkov:skip=CKV_AWS_374:The dashboard is public worldwide; no geo restriction is wanted.
  #checkov:skip=CKV2_AWS_32:Every behaviour attaches the AWS managed SecurityHeadersPolicy by ID; the check only recognises a policy resource defined in this configuration.
  enabled             = true
  comment             = "${var.name}: web dashboard and API"
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = var.price_class
  default_root_object = "index.html"
  aliases             = var.domain_aliases

  origin {
    origin_id                = local.web_origin_id
    domain_name              = aws_s3_bucket.web.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.web.id
  }

  origin {
    origin_id                = local.api_origin_id
    domain_name              = local.api_origin_domain
    origin_access_control_id = one(aws_cloudfront_origin_access_control.api[*].id)

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      origin_read_timeout    = 30
    }
  }

  default_cache_behavior {
    target_origin_id           = local.web_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.managed_cache_policy_caching_optimized
    response_headers_policy_id = local.managed_response_headers_policy_security_headers
  }

  # Order matters: CloudFront takes the first matching pattern, so the cacheable API paths
  # come before the catch-all /api/*.
  dynamic "ordered_cache_behavior" {
    for_each = var.cached_api_paths

    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.api_origin_id
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = aws_cloudfront_cache_policy.api.id
      response_headers_policy_id = local.managed_response_headers_policy_security_headers
    }
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.uncached_api_paths

    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.api_origin_id
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = local.managed_cache_policy_caching_disabled
      origin_request_policy_id   = local.managed_origin_request_policy_all_viewer_no_host
      response_headers_policy_id = local.managed_response_headers_policy_security_headers
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # With a custom domain viewers need TLS 1.2+. The default *.cloudfront.net certificate only
  # accepts the TLSv1 policy value; AWS decides its protocols.
  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }
}

# Only this distribution may call the Function URL. Lambda wants both actions for URL calls
# (lambda:InvokeFunction since October 2025); the grant is on the alias the URL belongs to.
resource "aws_lambda_permission" "cloudfront" {
  for_each = local.sign_api_requests ? toset(["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]) : toset([])

  statement_id           = each.key == "lambda:InvokeFunctionUrl" ? "CloudFrontInvokeFunctionUrl" : "CloudFrontInvokeFunction"
  action                 = each.key
  function_name          = var.function_name
  qualifier              = var.function_qualifier
  principal              = "cloudfront.amazonaws.com"
  source_arn             = aws_cloudfront_distribution.this.arn
  function_url_auth_type = each.key == "lambda:InvokeFunctionUrl" ? "AWS_IAM" : null
}
