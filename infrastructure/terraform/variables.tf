# Every setting an operator may change lives here and is set in preprod.tfvars / prod.tfvars.
# Defaults of the application settings mirror the code's own defaults.

# ---------------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------------

variable "environment" {
  description = "Deployment environment; part of every resource name (sentiment-analyzer-<environment>...)."
  type        = string

  validation {
    condition     = contains(["preprod", "prod"], var.environment)
    error_message = "environment must be preprod or prod."
  }
}

variable "aws_region" {
  description = "AWS region for every regional resource. CloudFront is global and always billed and monitored from us-east-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "extra_tags" {
  description = "Tags added to every resource besides Project, Environment and ManagedBy (e.g. CostCenter)."
  type        = map(string)
  default     = {}
  nullable    = false
}

# ---------------------------------------------------------------------------------------------
# DynamoDB (runbook procedure 2: switch billing mode here, then apply -target=module.dynamodb)
# ---------------------------------------------------------------------------------------------

variable "billing_mode" {
  description = "DynamoDB billing mode: PAY_PER_REQUEST (on-demand) or PROVISIONED (capacities below, with target-tracking autoscaling)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "table_read_capacity" {
  description = "PROVISIONED only: table read capacity units, also the autoscaling minimum. Every apply resets the table to this value."
  type        = number
  default     = 5

  validation {
    condition     = var.table_read_capacity >= 1 && floor(var.table_read_capacity) == var.table_read_capacity
    error_message = "table_read_capacity must be a whole number >= 1."
  }
}

variable "table_write_capacity" {
  description = "PROVISIONED only: table write capacity units, also the autoscaling minimum."
  type        = number
  default     = 5

  validation {
    condition     = var.table_write_capacity >= 1 && floor(var.table_write_capacity) == var.table_write_capacity
    error_message = "table_write_capacity must be a whole number >= 1."
  }
}

variable "gsi_read_capacity" {
  description = "PROVISIONED only: read capacity units of index GSI1, also its autoscaling minimum."
  type        = number
  default     = 5

  validation {
    condition     = var.gsi_read_capacity >= 1 && floor(var.gsi_read_capacity) == var.gsi_read_capacity
    error_message = "gsi_read_capacity must be a whole number >= 1."
  }
}

variable "gsi_write_capacity" {
  description = "PROVISIONED only: write capacity units of index GSI1, also its autoscaling minimum."
  type        = number
  default     = 5

  validation {
    condition     = var.gsi_write_capacity >= 1 && floor(var.gsi_write_capacity) == var.gsi_write_capacity
    error_message = "gsi_write_capacity must be a whole number >= 1."
  }
}

variable "autoscaling_max_capacity" {
  description = "PROVISIONED only: upper bound autoscaling may raise any read or write capacity (table and GSI1) to."
  type        = number
  default     = 100

  validation {
    condition = (
      var.autoscaling_max_capacity >= max(var.table_read_capacity, var.table_write_capacity, var.gsi_read_capacity, var.gsi_write_capacity)
    )
    error_message = "autoscaling_max_capacity must be at least every provisioned capacity."
  }
}

variable "autoscaling_target_utilization" {
  description = "PROVISIONED only: percentage of provisioned capacity that target-tracking autoscaling aims for."
  type        = number
  default     = 70

  validation {
    condition     = var.autoscaling_target_utilization >= 20 && var.autoscaling_target_utilization <= 90
    error_message = "autoscaling_target_utilization must be between 20 and 90."
  }
}

variable "enable_contributor_insights" {
  description = "CloudWatch Contributor Insights on the table and GSI1 (runbook: DynamoDB Hot Key). Billed per event analysed."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the DynamoDB table (true in prod)."
  type        = bool
  default     = true
}

variable "secret_recovery_window_days" {
  description = "Days a destroyed API key secret stays restorable; 0 deletes at once, so a destroyed preprod can be re-created with the same secret names right away."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda functions
# ---------------------------------------------------------------------------------------------

variable "dashboard_zip" {
  description = "Path of the dashboard Lambda zip (a file named bootstrap). null = <repo>/target/lambda/lambda-dashboard/bootstrap.zip from scripts/build-lambdas."
  type        = string
  default     = null
}

variable "ingestion_zip" {
  description = "Path of the ingestion Lambda zip (a file named bootstrap). null = <repo>/target/lambda/lambda-ingestion/bootstrap.zip from scripts/build-lambdas."
  type        = string
  default     = null
}

variable "dashboard_memory_mb" {
  description = "Memory of the dashboard Lambda in MB (CPU grows with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.dashboard_memory_mb >= 128 && var.dashboard_memory_mb <= 10240
    error_message = "dashboard_memory_mb must be between 128 and 10240."
  }
}

variable "ingestion_memory_mb" {
  description = "Memory of the ingestion Lambda in MB (CPU grows with it; scoring is CPU-bound)."
  type        = number
  default     = 512

  validation {
    condition     = var.ingestion_memory_mb >= 128 && var.ingestion_memory_mb <= 10240
    error_message = "ingestion_memory_mb must be between 128 and 10240."
  }
}

variable "dashboard_timeout_seconds" {
  description = "Timeout of the dashboard Lambda. Keep it under CloudFront's 30 s origin timeout."
  type        = number
  default     = 15

  validation {
    condition     = var.dashboard_timeout_seconds >= 1 && var.dashboard_timeout_seconds <= 29
    error_message = "dashboard_timeout_seconds must be between 1 and 29 (CloudFront gives up after 30 s)."
  }
}

variable "ingestion_timeout_seconds" {
  description = "Timeout of one ingestion run."
  type        = number
  default     = 300

  validation {
    condition     = var.ingestion_timeout_seconds >= 10 && var.ingestion_timeout_seconds <= 900
    error_message = "ingestion_timeout_seconds must be between 10 and 900."
  }
}

variable "dashboard_architecture" {
  description = "Instruction set of the dashboard Lambda; must match the build (scripts/build-lambdas builds arm64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.dashboard_architecture)
    error_message = "dashboard_architecture must be arm64 or x86_64."
  }
}

variable "ingestion_architecture" {
  description = "Instruction set of the ingestion Lambda; must match the build (scripts/build-lambdas builds arm64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.ingestion_architecture)
    error_message = "ingestion_architecture must be arm64 or x86_64."
  }
}

variable "dashboard_log_retention_days" {
  description = "Retention of /aws/lambda/sentiment-analyzer-<env>-dashboard."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.dashboard_log_retention_days)
    error_message = "dashboard_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "ingestion_log_retention_days" {
  description = "Retention of /aws/lambda/sentiment-analyzer-<env>-ingestion."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.ingestion_log_retention_days)
    error_message = "ingestion_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "dashboard_reserved_concurrency" {
  description = "Reserved concurrency of the dashboard Lambda; -1 = unreserved (shares the account pool). Runbook procedure 1 changes it by hand; put the new value here too or the next apply reverts it."
  type        = number
  default     = -1

  validation {
    condition     = var.dashboard_reserved_concurrency >= -1 && floor(var.dashboard_reserved_concurrency) == var.dashboard_reserved_concurrency
    error_message = "dashboard_reserved_concurrency must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "ingestion_reserved_concurrency" {
  description = "Reserved concurrency of the ingestion Lambda; -1 = unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.ingestion_reserved_concurrency >= -1 && floor(var.ingestion_reserved_concurrency) == var.ingestion_reserved_concurrency
    error_message = "ingestion_reserved_concurrency must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "dashboard_provisioned_concurrency" {
  description = "Provisioned concurrency on the dashboard alias prod-warm (runbook procedure 3); 0 = off. Billed per hour while on."
  type        = number
  default     = 0

  validation {
    condition = (
      var.dashboard_provisioned_concurrency >= 0
      && floor(var.dashboard_provisioned_concurrency) == var.dashboard_provisioned_concurrency
      && (var.dashboard_reserved_concurrency < 0 || var.dashboard_provisioned_concurrency <= var.dashboard_reserved_concurrency)
    )
    error_message = "dashboard_provisioned_concurrency must be a whole number >= 0 and not above dashboard_reserved_concurrency when that is set."
  }
}

variable "dashboard_url_auth" {
  description = "Auth type of the dashboard Function URL. AWS_IAM: only CloudFront (origin access control) can call it. NONE: public, for preprod testing only."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.dashboard_url_auth)
    error_message = "dashboard_url_auth must be AWS_IAM or NONE."
  }

  validation {
    condition     = var.dashboard_url_auth == "AWS_IAM" || var.environment != "prod"
    error_message = "prod must keep dashboard_url_auth = AWS_IAM so the Function URL is reachable only through CloudFront."
  }
}

variable "enable_lambda_insights" {
  description = "Add the CloudWatch Lambda Insights extension to both functions (per-function memory/CPU/cold-start metrics; about 8 custom metrics per function)."
  type        = bool
  default     = false
}

variable "lambda_insights_layer_arn_arm64" {
  description = "Lambda Insights extension layer for arm64 functions, in aws_region. Current versions: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versionsARM.html"
  type        = string
  default     = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20"

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.lambda_insights_layer_arn_arm64))
    error_message = "lambda_insights_layer_arn_arm64 must be a layer version ARN."
  }

  validation {
    condition     = !var.enable_lambda_insights || split(":", var.lambda_insights_layer_arn_arm64)[3] == var.aws_region
    error_message = "lambda_insights_layer_arn_arm64 must be in aws_region (layers are regional)."
  }
}

variable "lambda_insights_layer_arn_x86_64" {
  description = "Lambda Insights extension layer for x86_64 functions, in aws_region. Current versions: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versionsx86-64.html"
  type        = string
  default     = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:51"

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.lambda_insights_layer_arn_x86_64))
    error_message = "lambda_insights_layer_arn_x86_64 must be a layer version ARN."
  }

  validation {
    condition     = !var.enable_lambda_insights || split(":", var.lambda_insights_layer_arn_x86_64)[3] == var.aws_region
    error_message = "lambda_insights_layer_arn_x86_64 must be in aws_region (layers are regional)."
  }
}

# ---------------------------------------------------------------------------------------------
# Application settings (environment variables of the functions)
# ---------------------------------------------------------------------------------------------

variable "watchlist" {
  description = "SENTIMENT_WATCHLIST: tickers always ingested and served, comma separated."
  type        = string
  default     = "AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM"

  validation {
    condition     = can(regex("^[A-Z][A-Z0-9.]{0,9}(,[A-Z][A-Z0-9.]{0,9})*$", var.watchlist))
    error_message = "watchlist must be upper-case tickers separated by commas, e.g. AAPL,MSFT."
  }
}

variable "dashboard_rate_limits" {
  description = "SENTIMENT_RATE_LIMITS: per-scope request limits, scope=count/window, comma separated."
  type        = string
  default     = "anonymous_session=10/1h,config_write=30/1h,read=300/1m,default=100/1m"

  validation {
    condition     = can(regex("^[a-z_]+=[0-9]+/[0-9]+[smhd](,[a-z_]+=[0-9]+/[0-9]+[smhd])*$", var.dashboard_rate_limits))
    error_message = "dashboard_rate_limits must look like read=300/1m,default=100/1m."
  }
}

variable "dashboard_cors_origins" {
  description = "SENTIMENT_CORS_ORIGINS: extra origins allowed to call the API cross-origin, comma separated. \"\" = same origin only, which is what the CloudFront-served web dashboard needs (the CloudFront domain is not known before the distribution exists, so it cannot be the default)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.dashboard_cors_origins == "" || can(regex("^https?://[^,\\s/]+(,https?://[^,\\s/]+)*$", var.dashboard_cors_origins))
    error_message = "dashboard_cors_origins must be empty or origins like https://d111111abcdef8.cloudfront.net, comma separated."
  }
}

variable "dashboard_trusted_proxies" {
  description = "SENTIMENT_TRUSTED_PROXIES: proxy hops in front of the function whose X-Forwarded-For entries are trusted (1 = CloudFront)."
  type        = number
  default     = 1

  validation {
    condition     = var.dashboard_trusted_proxies >= 0 && var.dashboard_trusted_proxies <= 5 && floor(var.dashboard_trusted_proxies) == var.dashboard_trusted_proxies
    error_message = "dashboard_trusted_proxies must be a whole number from 0 to 5."
  }
}

variable "dashboard_max_configs" {
  description = "SENTIMENT_MAX_CONFIGS: saved configurations per session."
  type        = number
  default     = 5

  validation {
    condition     = var.dashboard_max_configs >= 1 && floor(var.dashboard_max_configs) == var.dashboard_max_configs
    error_message = "dashboard_max_configs must be a whole number >= 1."
  }
}

variable "dashboard_max_tickers" {
  description = "SENTIMENT_MAX_TICKERS: tickers per configuration."
  type        = number
  default     = 10

  validation {
    condition     = var.dashboard_max_tickers >= 1 && floor(var.dashboard_max_tickers) == var.dashboard_max_tickers
    error_message = "dashboard_max_tickers must be a whole number >= 1."
  }
}

variable "dashboard_session_ttl" {
  description = "SENTIMENT_SESSION_TTL: lifetime of an anonymous session, e.g. 30d."
  type        = string
  default     = "30d"

  validation {
    condition     = can(regex("^[0-9]+[smhd]$", var.dashboard_session_ttl))
    error_message = "dashboard_session_ttl must be a number followed by s, m, h or d, e.g. 30d."
  }
}

variable "ingestion_source" {
  description = "SENTIMENT_SOURCE: live (Tiingo and Finnhub) or sample (the bundled corpus; no API keys needed)."
  type        = string
  default     = "live"

  validation {
    condition     = contains(["live", "sample"], var.ingestion_source)
    error_message = "ingestion_source must be live or sample."
  }
}

variable "ingestion_lookback" {
  description = "SENTIMENT_LOOKBACK: how far back each run asks the vendors for news, e.g. 2d."
  type        = string
  default     = "2d"

  validation {
    condition     = can(regex("^[0-9]+[smhd]$", var.ingestion_lookback))
    error_message = "ingestion_lookback must be a number followed by s, m, h or d, e.g. 2d."
  }
}

variable "ingestion_quotas" {
  description = "SENTIMENT_QUOTAS: upstream quotas per vendor, vendor=limit;limit,... where a limit is count/window (calls) or count symbols/window (distinct tickers); windows s, m, h, d, mo. The default is the code's: the vendors' free tiers."
  type        = string
  default     = "tiingo=50/1h;1000/1d;500 symbols/1mo,finnhub=60/1m;30/1s"

  validation {
    condition     = can(regex("^[a-z]+=[0-9]+( symbols)?/[0-9]+(s|m|h|d|mo)(;[0-9]+( symbols)?/[0-9]+(s|m|h|d|mo))*(,[a-z]+=[0-9]+( symbols)?/[0-9]+(s|m|h|d|mo)(;[0-9]+( symbols)?/[0-9]+(s|m|h|d|mo))*)*$", var.ingestion_quotas))
    error_message = "ingestion_quotas must look like tiingo=50/1h;1000/1d;500 symbols/1mo,finnhub=60/1m;30/1s."
  }
}

variable "ingestion_circuit_breaker" {
  description = "SENTIMENT_CIRCUIT_BREAKER: breaker settings for each upstream vendor."
  type        = string
  default     = "failure_threshold=5,open_for=60s,half_open_probes=1"

  validation {
    condition     = can(regex("^[a-z_]+=[0-9]+[smhd]?(,[a-z_]+=[0-9]+[smhd]?)*$", var.ingestion_circuit_breaker))
    error_message = "ingestion_circuit_breaker must look like failure_threshold=5,open_for=60s,half_open_probes=1."
  }
}

variable "ingestion_model" {
  description = "SENTIMENT_MODEL: the sentiment model the ingestion scores with."
  type        = string
  default     = "encoder"

  validation {
    condition     = can(regex("^[a-z0-9_-]+$", var.ingestion_model))
    error_message = "ingestion_model must be a lower-case model name."
  }
}

# ---------------------------------------------------------------------------------------------
# Schedule and events (runbook procedure 4: change the schedule here, apply -target=module.eventbridge)
# ---------------------------------------------------------------------------------------------

variable "ingestion_schedule" {
  description = "EventBridge schedule of the ingestion Lambda: rate(...) or cron(...)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate\\(([2-9]|[1-9][0-9]+) (minutes|hours|days)\\)|rate\\(1 (minute|hour|day)\\)|cron\\([^)]+\\))$", var.ingestion_schedule))
    error_message = "ingestion_schedule must be rate(N units) (e.g. rate(15 minutes), rate(1 hour)) or cron(...)."
  }
}

variable "ingestion_retry_attempts" {
  description = "Retries of a failed asynchronous (scheduled) ingestion run before it goes to the DLQ. 0 because the next scheduled run repeats the work anyway."
  type        = number
  default     = 0

  validation {
    condition     = contains([0, 1, 2], var.ingestion_retry_attempts)
    error_message = "ingestion_retry_attempts must be 0, 1 or 2."
  }
}

variable "shift_notification_email" {
  description = "Email subscribed to sentiment-analyzer-<env>-sentiment-shifts (SentimentShifted events). null = no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.shift_notification_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.shift_notification_email))
    error_message = "shift_notification_email must be an email address or null."
  }
}

# ---------------------------------------------------------------------------------------------
# CDN
# ---------------------------------------------------------------------------------------------

variable "web_assets_dir" {
  description = "Directory of the static web dashboard uploaded to the web bucket. null = <repo>/crates/web/assets. A missing or empty directory uploads nothing."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200, PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "cdn_cached_api_paths" {
  description = "API path patterns CloudFront may cache (for as long as the origin's Cache-Control says, at most 300 s, keyed by query string). All other /api/* paths are never cached."
  type        = list(string)
  default = [
    "/api/v2/sentiment*",
    "/api/v2/trends*",
    "/api/v2/articles*",
    "/api/v2/market/status",
    "/api/v2/tickers/*/sentiment*",
  ]
  nullable = false

  validation {
    condition     = alltrue([for p in var.cdn_cached_api_paths : startswith(p, "/api/")])
    error_message = "cdn_cached_api_paths must all start with /api/."
  }
}

variable "cdn_domain_aliases" {
  description = "Custom domain names for the distribution (needs cdn_acm_certificate_arn). Empty = the *.cloudfront.net name only."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "cdn_acm_certificate_arn" {
  description = "ACM certificate (in us-east-1) for cdn_domain_aliases. With it viewers need TLS 1.2+; without it CloudFront's default certificate is used, whose TLS policy AWS fixes."
  type        = string
  default     = null

  validation {
    condition     = var.cdn_acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", var.cdn_acm_certificate_arn))
    error_message = "cdn_acm_certificate_arn must be an ACM certificate ARN in us-east-1."
  }

  validation {
    condition     = (var.cdn_acm_certificate_arn == null) == (length(var.cdn_domain_aliases) == 0)
    error_message = "Set cdn_domain_aliases and cdn_acm_certificate_arn together, or neither."
  }
}

# ---------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------

variable "alarm_email" {
  description = "Email subscribed to sentiment-analyzer-<env>-alarms. null = no subscription (subscribe PagerDuty or chat to the topic instead)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address or null."
  }
}

variable "enable_warning_alarms" {
  description = "Also create the runbook's warning-level alarms (critical alarms always exist). Each alarm metric costs $0.10/month."
  type        = bool
  default     = false
}

variable "account_concurrency_limit" {
  description = "Account-level Lambda concurrency limit in aws_region; the ConcurrentExecutions alarms of an unreserved function are a percentage of it."
  type        = number
  default     = 1000

  validation {
    condition     = var.account_concurrency_limit >= 10
    error_message = "account_concurrency_limit must be at least 10."
  }
}

variable "lambda_duration_p95_thresholds_ms" {
  description = "Duration p95 alarm thresholds per function (runbook: warning > 5 s, critical > 10 s)."
  type = map(object({
    warning  = number
    critical = number
  }))
  default = {
    dashboard = { warning = 5000, critical = 10000 }
    ingestion = { warning = 5000, critical = 10000 }
  }
  nullable = false

  validation {
    condition     = length(setsubtract(["dashboard", "ingestion"], keys(var.lambda_duration_p95_thresholds_ms))) == 0
    error_message = "lambda_duration_p95_thresholds_ms needs entries for dashboard and ingestion."
  }

  validation {
    condition     = alltrue([for t in values(var.lambda_duration_p95_thresholds_ms) : t.warning > 0 && t.warning < t.critical])
    error_message = "Each warning threshold must be positive and below its critical threshold."
  }
}

variable "no_new_articles_alarm_hours" {
  description = "Critical alarm when ingestion stored no new article (or reported nothing) for this many hours."
  type        = number
  default     = 1

  validation {
    condition     = var.no_new_articles_alarm_hours >= 1 && var.no_new_articles_alarm_hours <= 24 && floor(var.no_new_articles_alarm_hours) == var.no_new_articles_alarm_hours
    error_message = "no_new_articles_alarm_hours must be a whole number from 1 to 24."
  }
}
