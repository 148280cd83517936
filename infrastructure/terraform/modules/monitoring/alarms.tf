# The runbook's "Key Metrics to Monitor" as alarms. Each family below has a critical level
# (always created) and usually a warning level (created with enable_warning_alarms). Alarms are
# billed per metric they read, so the set is deliberate; see docs/deploy.md for the count.
#
# Shape of a family: every query reads one metric (metrics) and, when expression is set, the
# alarm evaluates that expression over them; otherwise the single metric itself.

locals {
  lambda_namespace   = "AWS/Lambda"
  dynamodb_namespace = "AWS/DynamoDB"
  app_dimensions     = { Environment = var.environment }
  provisioned        = var.billing_mode == "PROVISIONED"

  lambda_families = merge([
    for role, fn in var.functions : {
      "${role}-concurrent-executions" = {
        description = "${fn.name} concurrency near its limit (${fn.reserved_concurrency >= 0 ? "reserved ${fn.reserved_concurrency}" : "account ${var.account_concurrency_limit}"}). Runbook: docs/runbooks/scaling.md, procedure 1 (reserved concurrency, account limit increase)."
        comparison  = "GreaterThanThreshold"
        period      = 60
        missing     = "notBreaching"
        expression  = null
        metrics = {
          concurrency = { namespace = local.lambda_namespace, metric_name = "ConcurrentExecutions", stat = "Maximum", dimensions = { FunctionName = fn.name } }
        }
        levels = {
          warning  = { threshold = floor(0.7 * (fn.reserved_concurrency >= 0 ? fn.reserved_concurrency : var.account_concurrency_limit)), evaluation_periods = 3, datapoints = 3 }
          critical = { threshold = floor(0.9 * (fn.reserved_concurrency >= 0 ? fn.reserved_concurrency : var.account_concurrency_limit)), evaluation_periods = 3, datapoints = 3 }
        }
      }

      "${role}-duration-p95" = {
        description = "${fn.name} p95 duration high. Runbook: docs/runbooks/scaling.md, Lambda metrics (profile with X-Ray)."
        comparison  = "GreaterThanThreshold"
        period      = 300
        missing     = "notBreaching"
        expression  = null
        metrics = {
          duration = { namespace = local.lambda_namespace, metric_name = "Duration", stat = "p95", dimensions = { FunctionName = fn.name } }
        }
        levels = {
          warning  = { threshold = fn.duration_p95_ms.warning, evaluation_periods = 1, datapoints = 1 }
          critical = { threshold = fn.duration_p95_ms.critical, evaluation_periods = 1, datapoints = 1 }
        }
      }

      "${role}-error-rate" = {
        description = "${fn.name} errors as % of invocations. Runbook: ${role == "ingestion" ? "docs/runbooks/no-new-articles.md" : "docs/runbooks/high-5xx-rate.md"}."
        comparison  = "GreaterThanThreshold"
        period      = 300
        missing     = "notBreaching"
        expression  = "100 * FILL(errors, 0) / invocations"
        metrics = {
          errors      = { namespace = local.lambda_namespace, metric_name = "Errors", stat = "Sum", dimensions = { FunctionName = fn.name } }
          invocations = { namespace = local.lambda_namespace, metric_name = "Invocations", stat = "Sum", dimensions = { FunctionName = fn.name } }
        }
        levels = {
          warning  = { threshold = 1, evaluation_periods = 1, datapoints = 1 }
          critical = { threshold = 5, evaluation_periods = 1, datapoints = 1 }
        }
      }

      # Warning: any throttle in a minute. Critical (sustained): throttles in 5 consecutive minutes.
      "${role}-throttles" = {
        description = "${fn.name} throttled. Runbook: docs/runbooks/scaling.md, procedure 1; if sustained, Sustained throttling."
        comparison  = "GreaterThanThreshold"
        period      = 60
        missing     = "notBreaching"
        expression  = null
        metrics = {
          throttles = { namespace = local.lambda_namespace, metric_name = "Throttles", stat = "Sum", dimensions = { FunctionName = fn.name } }
        }
        levels = {
          warning  = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
          critical = { threshold = 0, evaluation_periods = 5, datapoints = 5 }
        }
      }
    }
  ]...)

  table_dimensions = { TableName = var.table_name }

  dynamodb_families = merge(
    {
      "dynamodb-throttles" = {
        description = "${var.table_name} read or write requests throttled. Runbook: docs/runbooks/dynamodb-throttling.md."
        comparison  = "GreaterThanThreshold"
        period      = 60
        missing     = "notBreaching"
        expression  = "FILL(reads, 0) + FILL(writes, 0)"
        metrics = {
          reads  = { namespace = local.dynamodb_namespace, metric_name = "ReadThrottleEvents", stat = "Sum", dimensions = local.table_dimensions }
          writes = { namespace = local.dynamodb_namespace, metric_name = "WriteThrottleEvents", stat = "Sum", dimensions = local.table_dimensions }
        }
        levels = {
          warning  = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
          critical = { threshold = 0, evaluation_periods = 5, datapoints = 5 }
        }
      }

      # Warning and critical are both "any" in the runbook: one alarm, at critical.
      "dynamodb-system-errors" = {
        description = "${var.table_name} DynamoDB system errors. AWS-side fault. Runbook: docs/runbooks/dynamodb-throttling.md, System errors."
        comparison  = "GreaterThanThreshold"
        period      = 60
        missing     = "notBreaching"
        expression  = "SUM(FILL(METRICS(), 0))"
        metrics = {
          for op in var.table_operations : lower(op) => {
            namespace = local.dynamodb_namespace, metric_name = "SystemErrors", stat = "Sum", dimensions = merge(local.table_dimensions, { Operation = op })
          }
        }
        levels = {
          critical = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
        }
      }
    },
    # Consumed vs provisioned as a percentage, so the alarms follow autoscaling's changes.
    # Warning waits 15 minutes: autoscaling itself targets 70% and needs a few minutes to act.
    local.provisioned ? {
      for kind in ["Read", "Write"] : "dynamodb-${lower(kind)}-capacity" => {
        description = "${var.table_name} consumed ${lower(kind)} capacity as % of provisioned. Runbook: docs/runbooks/dynamodb-throttling.md (capacity), docs/runbooks/scaling.md procedure 2."
        comparison  = "GreaterThanThreshold"
        period      = 60
        missing     = "notBreaching"
        expression  = "100 * (FILL(consumed, 0) / 60) / provisioned"
        metrics = {
          consumed    = { namespace = local.dynamodb_namespace, metric_name = "Consumed${kind}CapacityUnits", stat = "Sum", dimensions = local.table_dimensions }
          provisioned = { namespace = local.dynamodb_namespace, metric_name = "Provisioned${kind}CapacityUnits", stat = "Average", dimensions = local.table_dimensions }
        }
        levels = {
          warning  = { threshold = 70, evaluation_periods = 15, datapoints = 15 }
          critical = { threshold = 90, evaluation_periods = 5, datapoints = 5 }
        }
      }
    } : {},
  )

  api_families = {
    "api-latency-p95" = {
      description = "Dashboard API p95 latency (ApiLatencyMs). Runbook: docs/runbooks/scaling.md, API metrics."
      comparison  = "GreaterThanThreshold"
      period      = 300
      missing     = "notBreaching"
      expression  = null
      metrics = {
        latency = { namespace = var.metric_namespace, metric_name = "ApiLatencyMs", stat = "p95", dimensions = local.app_dimensions }
      }
      levels = {
        warning  = { threshold = 1000, evaluation_periods = 1, datapoints = 1 }
        critical = { threshold = 3000, evaluation_periods = 1, datapoints = 1 }
      }
    }

    "api-5xx-rate" = {
      description = "Dashboard API 5xx responses as % of requests. Runbook: docs/runbooks/high-5xx-rate.md."
      comparison  = "GreaterThanThreshold"
      period      = 300
      missing     = "notBreaching"
      expression  = "100 * FILL(errors, 0) / requests"
      metrics = {
        errors   = { namespace = var.metric_namespace, metric_name = "Api5xx", stat = "Sum", dimensions = local.app_dimensions }
        requests = { namespace = var.metric_namespace, metric_name = "ApiRequests", stat = "Sum", dimensions = local.app_dimensions }
      }
      levels = {
        warning  = { threshold = 1, evaluation_periods = 1, datapoints = 1 }
        critical = { threshold = 5, evaluation_periods = 1, datapoints = 1 }
      }
    }

    "api-429-per-minute" = {
      description = "Dashboard API 429 (rate limited) responses per minute. Runbook: docs/runbooks/scaling.md, Sustained throttling (dashboard_rate_limits, SENTIMENT_RATE_LIMITS)."
      comparison  = "GreaterThanThreshold"
      period      = 60
      missing     = "notBreaching"
      expression  = null
      metrics = {
        rate_limited = { namespace = var.metric_namespace, metric_name = "Api429", stat = "Sum", dimensions = local.app_dimensions }
      }
      levels = {
        warning  = { threshold = 10, evaluation_periods = 1, datapoints = 1 }
        critical = { threshold = 100, evaluation_periods = 1, datapoints = 1 }
      }
    }
  }

  ingestion_families = merge(
    {
      # Missing data breaches: no metric at all means ingestion is not running.
      "ingestion-no-new-articles" = {
        description = "No new article stored (or no ingestion run reported) for ${var.no_new_articles_hours} h. Runbook: docs/runbooks/no-new-articles.md."
        comparison  = "LessThanOrEqualToThreshold"
        period      = 3600
        missing     = "breaching"
        expression  = null
        metrics = {
          new_articles = { namespace = var.metric_namespace, metric_name = "NewArticles", stat = "Sum", dimensions = local.app_dimensions }
        }
        levels = {
          critical = { threshold = 0, evaluation_periods = var.no_new_articles_hours, datapoints = var.no_new_articles_hours }
        }
      }
    },
    {
      # Publishing never fails a run, and every event is also in the table (/api/v2/events),
      # so an undelivered event only warns.
      "ingestion-events-failed" = {
        description = "Events of an ingestion run were not delivered to the event bus. Runbook: docs/runbooks/events-not-delivered.md."
        comparison  = "GreaterThanThreshold"
        period      = 900
        missing     = "notBreaching"
        expression  = null
        metrics = {
          failed = { namespace = var.metric_namespace, metric_name = "EventsFailed", stat = "Sum", dimensions = local.app_dimensions }
        }
        levels = {
          warning = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
        }
      }
    },
    # The breaker and the quota tracker recover by themselves, so these only warn.
    merge([
      for source in var.sources : {
        "ingestion-circuit-open-${source}" = {
          description = "Circuit breaker for ${source} opened. The breaker retries by itself. Runbook: docs/runbooks/source-breaker-or-quota.md."
          comparison  = "GreaterThanThreshold"
          period      = 900
          missing     = "notBreaching"
          expression  = null
          metrics = {
            circuit_open = { namespace = var.metric_namespace, metric_name = "CircuitOpen", stat = "Maximum", dimensions = merge(local.app_dimensions, { Source = source }) }
          }
          levels = {
            warning = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
          }
        }

        # Minimum over every quota window of the source (the metric's [Environment, Source] set).
        "ingestion-quota-exhausted-${source}" = {
          description = "A ${source} quota window is exhausted. Runbook: docs/runbooks/source-breaker-or-quota.md (QUOTA# items, schedule, watchlist)."
          comparison  = "LessThanOrEqualToThreshold"
          period      = 900
          missing     = "notBreaching"
          expression  = null
          metrics = {
            remaining = { namespace = var.metric_namespace, metric_name = "QuotaRemaining", stat = "Minimum", dimensions = merge(local.app_dimensions, { Source = source }) }
          }
          levels = {
            warning = { threshold = 0, evaluation_periods = 1, datapoints = 1 }
          }
        }
      }
    ]...),
  )

  families = merge(local.lambda_families, local.dynamodb_families, local.api_families, local.ingestion_families)

  severities = var.enable_warning_alarms ? ["critical", "warning"] : ["critical"]

  alarms = merge([
    for family_key, family in local.families : {
      for severity, level in family.levels : "${family_key}-${severity}" => merge(family, level, { severity = severity })
      if contains(local.severities, severity)
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "[${upper(each.value.severity)}] ${each.value.description}"
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  dynamic "metric_query" {
    for_each = each.value.metrics

    content {
      id          = metric_query.key
      return_data = each.value.expression == null

      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric_name
        dimensions  = metric_query.value.dimensions
        stat        = metric_query.value.stat
        period      = each.value.period
      }
    }
  }

  dynamic "metric_query" {
    for_each = each.value.expression == null ? [] : [each.value.expression]

    content {
      id          = "alarm_value"
      expression  = metric_query.value
      label       = each.key
      return_data = true
    }
  }
}
