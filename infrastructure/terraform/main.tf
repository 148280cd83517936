data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  project = "sentiment-analyzer"
  name    = "${local.project}-${var.environment}"

  # Paths default relative to the repository so a plain `terraform apply` after
  # scripts/build-lambdas picks up the build output.
  repo_root      = "${path.root}/../.."
  dashboard_zip  = coalesce(var.dashboard_zip, "${local.repo_root}/target/lambda/lambda-dashboard/bootstrap.zip")
  ingestion_zip  = coalesce(var.ingestion_zip, "${local.repo_root}/target/lambda/lambda-ingestion/bootstrap.zip")
  web_assets_dir = coalesce(var.web_assets_dir, "${local.repo_root}/crates/web/assets")

  # The ingestion function's ARN from its name rather than from the function resource, so that
  # `-target=module.eventbridge` (runbook procedure 4) does not pull in the function and its zip.
  ingestion_function_name = "${local.name}-ingestion"
  ingestion_function_arn  = "arn:${data.aws_partition.current.partition}:lambda:${var.aws_region}:${data.aws_caller_identity.current.account_id}:function:${local.ingestion_function_name}"

  lambda_insights_layer_arns = {
    arm64  = var.lambda_insights_layer_arn_arm64
    x86_64 = var.lambda_insights_layer_arn_x86_64
  }

  # What the store adapter calls. Transactions need no action of their own: each Put, Update,
  # Delete and ConditionCheck inside TransactWriteItems is authorised as that item action.
  # Scan is deliberately absent.
  table_actions = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
  ]

  common_environment = {
    SENTIMENT_STORE       = "dynamodb"
    SENTIMENT_TABLE       = module.dynamodb.table_name
    SENTIMENT_ENVIRONMENT = var.environment
    SENTIMENT_LOG_FORMAT  = "json"
    SENTIMENT_WATCHLIST   = var.watchlist
  }
}

module "dynamodb" {
  source = "./modules/dynamodb"

  table_name                     = local.name
  billing_mode                   = var.billing_mode
  read_capacity                  = var.table_read_capacity
  write_capacity                 = var.table_write_capacity
  gsi_read_capacity              = var.gsi_read_capacity
  gsi_write_capacity             = var.gsi_write_capacity
  autoscaling_max_capacity       = var.autoscaling_max_capacity
  autoscaling_target_utilization = var.autoscaling_target_utilization
  deletion_protection            = var.deletion_protection
  contributor_insights           = var.enable_contributor_insights
}

module "secrets" {
  source = "./modules/secrets"

  name_prefix          = "${local.project}/${var.environment}"
  recovery_window_days = var.secret_recovery_window_days
}

module "events" {
  source = "./modules/events"

  name                     = local.name
  shift_notification_email = var.shift_notification_email
}

module "dashboard_lambda" {
  source = "./modules/lambda"

  function_name          = "${local.name}-dashboard"
  description            = "Sentiment Analyzer dashboard API (Function URL behind CloudFront)"
  zip_path               = local.dashboard_zip
  memory_mb              = var.dashboard_memory_mb
  timeout_seconds        = var.dashboard_timeout_seconds
  architecture           = var.dashboard_architecture
  log_retention_days     = var.dashboard_log_retention_days
  reserved_concurrency   = var.dashboard_reserved_concurrency
  lambda_insights_layer  = var.enable_lambda_insights ? local.lambda_insights_layer_arns[var.dashboard_architecture] : null
  table_arn              = module.dynamodb.table_arn
  table_actions          = local.table_actions
  function_url_auth_type = var.dashboard_url_auth

  # Runbook procedure 3: a published version behind the alias prod-warm, which the Function URL
  # serves, so provisioned concurrency on the alias warms the instances CloudFront reaches.
  publish                 = true
  alias_name              = "prod-warm"
  provisioned_concurrency = var.dashboard_provisioned_concurrency

  environment_variables = merge(local.common_environment, {
    SENTIMENT_RATE_LIMITS     = var.dashboard_rate_limits
    SENTIMENT_CORS_ORIGINS    = var.dashboard_cors_origins
    SENTIMENT_TRUSTED_PROXIES = tostring(var.dashboard_trusted_proxies)
    SENTIMENT_MAX_CONFIGS     = tostring(var.dashboard_max_configs)
    SENTIMENT_MAX_TICKERS     = tostring(var.dashboard_max_tickers)
    SENTIMENT_SESSION_TTL     = var.dashboard_session_ttl
  })
}

module "ingestion_lambda" {
  source = "./modules/lambda"

  function_name         = local.ingestion_function_name
  description           = "Sentiment Analyzer news ingestion (EventBridge schedule)"
  zip_path              = local.ingestion_zip
  memory_mb             = var.ingestion_memory_mb
  timeout_seconds       = var.ingestion_timeout_seconds
  architecture          = var.ingestion_architecture
  log_retention_days    = var.ingestion_log_retention_days
  reserved_concurrency  = var.ingestion_reserved_concurrency
  lambda_insights_layer = var.enable_lambda_insights ? local.lambda_insights_layer_arns[var.ingestion_architecture] : null
  table_arn             = module.dynamodb.table_arn
  table_actions         = local.table_actions
  secret_arns           = values(module.secrets.secret_arns)
  event_bus_arn         = module.events.bus_arn

  invoke_permissions = {
    AllowIngestionSchedule = {
      principal  = "events.amazonaws.com"
      source_arn = module.eventbridge.rule_arn
    }
  }
  # Failed scheduled runs are not retried by default (the next run repeats the work) and go to
  # the queue with their error. An event still unprocessed after an hour is stale.
  async_invocation = {
    failure_destination_arn = module.eventbridge.dlq_arn
    retry_attempts          = var.ingestion_retry_attempts
    max_event_age_seconds   = 3600
  }

  environment_variables = merge(local.common_environment, {
    SENTIMENT_SOURCE          = var.ingestion_source
    SENTIMENT_LOOKBACK        = var.ingestion_lookback
    SENTIMENT_QUOTAS          = var.ingestion_quotas
    SENTIMENT_CIRCUIT_BREAKER = var.ingestion_circuit_breaker
    SENTIMENT_MODEL           = var.ingestion_model
    SENTIMENT_EVENTS          = "eventbridge"
    SENTIMENT_EVENT_BUS       = module.events.bus_name
    TIINGO_SECRET_ARN         = module.secrets.secret_arns["tiingo"]
    FINNHUB_SECRET_ARN        = module.secrets.secret_arns["finnhub"]
  })
}

module "eventbridge" {
  source = "./modules/eventbridge"

  name                = local.name
  schedule_expression = var.ingestion_schedule
  function_arn        = local.ingestion_function_arn
}

module "cdn" {
  source = "./modules/cdn"

  name                   = local.name
  function_name          = module.dashboard_lambda.function_name
  function_qualifier     = module.dashboard_lambda.alias_name
  function_url           = module.dashboard_lambda.function_url
  function_url_auth_type = var.dashboard_url_auth
  cached_api_paths       = var.cdn_cached_api_paths
  web_assets_dir         = local.web_assets_dir
  price_class            = var.price_class
  domain_aliases         = var.cdn_domain_aliases
  acm_certificate_arn    = var.cdn_acm_certificate_arn
}

module "monitoring" {
  source = "./modules/monitoring"

  name                      = local.name
  environment               = var.environment
  aws_region                = var.aws_region
  alarm_email               = var.alarm_email
  enable_warning_alarms     = var.enable_warning_alarms
  account_concurrency_limit = var.account_concurrency_limit
  no_new_articles_hours     = var.no_new_articles_alarm_hours

  functions = {
    dashboard = {
      name                 = module.dashboard_lambda.function_name
      reserved_concurrency = var.dashboard_reserved_concurrency
      duration_p95_ms      = var.lambda_duration_p95_thresholds_ms["dashboard"]
    }
    ingestion = {
      name                 = module.ingestion_lambda.function_name
      reserved_concurrency = var.ingestion_reserved_concurrency
      duration_p95_ms      = var.lambda_duration_p95_thresholds_ms["ingestion"]
    }
  }

  table_name      = module.dynamodb.table_name
  gsi_name        = module.dynamodb.gsi_name
  billing_mode    = var.billing_mode
  distribution_id = module.cdn.distribution_id
  dlq_name        = module.eventbridge.dlq_name
}
