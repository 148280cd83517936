# One Rust Lambda on provided.al2023: its log group, function, optional alias with provisioned
# concurrency, optional Function URL, and how it is invoked asynchronously. Its own permissions
# are in iam.tf.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted at rest by CloudWatch Logs; a customer managed key would add $1/month and a key policy for the logs service, and the logs hold no secrets.
  #checkov:skip=CKV_AWS_338:Operational debug logs; retention is a per-environment variable (default 14 days) because CloudWatch Logs bills every GB-month kept.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:No VPC: the function reaches DynamoDB, Secrets Manager and EventBridge over IAM-authenticated public endpoints and the news vendors over the internet; a VPC would need a NAT gateway ($32+/month).
  #checkov:skip=CKV_AWS_116:Dashboard calls are synchronous (the caller sees the error); the ingestion function's failed async invocations go to an on-failure destination queue (async_invocation below), which supersedes a DLQ.
  #checkov:skip=CKV_AWS_173:Environment variables hold configuration and secret ARNs, never secret values; the default Lambda key encrypts them at rest.
  #checkov:skip=CKV_AWS_272:Code signing needs a signer profile and signed artifacts in S3; packages are built and deployed by the same trusted pipeline.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = var.publish
  layers                         = var.lambda_insights_layer == null ? [] : [var.lambda_insights_layer]

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
    # Pinned: the EMF metric lines carry no level, so Lambda treats them as INFO, and a
    # WARN or ERROR application level would silently drop every metric the alarms read. For
    # more detail set DEBUG here (the service caps TRACE at DEBUG: at TRACE the runtime would
    # log raw events, tokens included).
    application_log_level = "INFO"
    system_log_level      = "INFO"
  }

  # The role's policies must exist before the first invocation can log or trace.
  depends_on = [aws_iam_role_policy.this]
}

resource "aws_lambda_alias" "this" {
  count = var.alias_name == null ? 0 : 1

  name             = var.alias_name
  description      = "Latest published version"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_provisioned_concurrency_config" "this" {
  count = var.provisioned_concurrency > 0 ? 1 : 0

  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this[0].name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

resource "aws_lambda_function_url" "this" {
  count = var.function_url_auth_type == null ? 0 : 1

  function_name      = aws_lambda_function.this.function_name
  qualifier          = one(aws_lambda_alias.this[*].name)
  authorization_type = var.function_url_auth_type
}

resource "aws_lambda_permission" "invoke" {
  for_each = var.invoke_permissions

  statement_id  = each.key
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = each.value.principal
  source_arn    = each.value.source_arn
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_invocation == null ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invocation.retry_attempts
  maximum_event_age_in_seconds = var.async_invocation.max_event_age_seconds

  destination_config {
    on_failure {
      destination = var.async_invocation.failure_destination_arn
    }
  }

  # Lambda checks, when the configuration is saved, that the role may send to the destination.
  depends_on = [aws_iam_role_policy.this]
}

# NONE means public: grant the URL to everyone. Lambda also requires lambda:InvokeFunction for
# URL calls since October 2025; provider 5.x cannot restrict that grant to URL calls
# (lambda:InvokedViaFunctionUrl), so NONE also allows direct Invoke - one more reason it is
# refused in prod.
resource "aws_lambda_permission" "public_url" {
  #checkov:skip=CKV_AWS_301:Created only when dashboard_url_auth = NONE, which the root module refuses in prod; preprod testing without CloudFront needs a public URL.
  for_each = var.function_url_auth_type == "NONE" ? toset(["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]) : toset([])

  statement_id           = each.key == "lambda:InvokeFunctionUrl" ? "PublicFunctionUrl" : "PublicFunctionUrlInvoke"
  action                 = each.key
  function_name          = aws_lambda_function.this.function_name
  qualifier              = one(aws_lambda_alias.this[*].name)
  principal              = "*"
  function_url_auth_type = each.key == "lambda:InvokeFunctionUrl" ? "NONE" : null
}
