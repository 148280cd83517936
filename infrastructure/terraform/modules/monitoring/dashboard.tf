# The runbook's "CloudWatch Dashboard": one row per concern, charting every metric an alarm
# watches plus the ones that explain it. Widgets omit x/y so CloudWatch lays them out in order.

locals {
  ns  = var.metric_namespace
  env = var.environment

  # Every metric widget has this size; rows are [namespace, metric, dim, value, ..., {options}].
  widget = {
    type   = "metric"
    width  = 8
    height = 6
  }

  lambda_widgets = flatten([
    for role, fn in var.functions : [
      merge(local.widget, {
        properties = {
          title  = "${fn.name}: invocations, errors, throttles"
          region = var.aws_region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", fn.name],
            ["AWS/Lambda", "Errors", "FunctionName", fn.name],
            ["AWS/Lambda", "Throttles", "FunctionName", fn.name],
          ]
        }
      }),
      merge(local.widget, {
        properties = {
          title  = "${fn.name}: duration (ms)"
          region = var.aws_region
          view   = "timeSeries"
          period = 300
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", fn.name, { stat = "p50" }],
            ["AWS/Lambda", "Duration", "FunctionName", fn.name, { stat = "p95" }],
            ["AWS/Lambda", "Duration", "FunctionName", fn.name, { stat = "Maximum" }],
          ]
          annotations = {
            horizontal = [
              { label = "p95 warning", value = fn.duration_p95_ms.warning },
              { label = "p95 critical", value = fn.duration_p95_ms.critical },
            ]
          }
        }
      }),
      merge(local.widget, {
        properties = {
          title  = "${fn.name}: concurrent executions"
          region = var.aws_region
          view   = "timeSeries"
          period = 60
          stat   = "Maximum"
          metrics = concat(
            [["AWS/Lambda", "ConcurrentExecutions", "FunctionName", fn.name]],
            role == "dashboard" ? [["AWS/Lambda", "ProvisionedConcurrencyUtilization", "FunctionName", fn.name, "Resource", "${fn.name}:prod-warm"]] : [],
          )
          annotations = {
            horizontal = [
              { label = "limit", value = fn.reserved_concurrency >= 0 ? fn.reserved_concurrency : var.account_concurrency_limit },
            ]
          }
        }
      }),
    ]
  ])

  api_widgets = [
    merge(local.widget, {
      properties = {
        title  = "API: requests, 5xx, 429"
        region = var.aws_region
        view   = "timeSeries"
        period = 60
        stat   = "Sum"
        metrics = [
          [local.ns, "ApiRequests", "Environment", local.env],
          [local.ns, "Api5xx", "Environment", local.env],
          [local.ns, "Api429", "Environment", local.env],
        ]
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "API: latency (ms)"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          [local.ns, "ApiLatencyMs", "Environment", local.env, { stat = "p50" }],
          [local.ns, "ApiLatencyMs", "Environment", local.env, { stat = "p95" }],
          [local.ns, "ApiLatencyMs", "Environment", local.env, { stat = "p99" }],
        ]
        annotations = {
          horizontal = [
            { label = "p95 warning", value = 1000 },
            { label = "p95 critical", value = 3000 },
          ]
        }
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "API: p95 latency by route (ms)"
        region = var.aws_region
        view   = "timeSeries"
        metrics = [[{
          id         = "by_route"
          expression = "SEARCH('{${local.ns},Environment,Route} MetricName=\"ApiLatencyMs\" Environment=\"${local.env}\"', 'p95', 300)"
        }]]
      }
    }),
  ]

  dynamodb_widgets = [
    merge(local.widget, {
      properties = {
        title  = "DynamoDB ${var.table_name}: consumed capacity (units/min)"
        region = var.aws_region
        view   = "timeSeries"
        period = 60
        stat   = "Sum"
        metrics = [
          ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", var.table_name],
          ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", var.table_name],
          ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", var.table_name, "GlobalSecondaryIndexName", var.gsi_name],
          ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", var.table_name, "GlobalSecondaryIndexName", var.gsi_name],
          ["AWS/DynamoDB", "ProvisionedReadCapacityUnits", "TableName", var.table_name, { stat = "Average" }],
          ["AWS/DynamoDB", "ProvisionedWriteCapacityUnits", "TableName", var.table_name, { stat = "Average" }],
        ]
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "DynamoDB: throttles and system errors"
        region = var.aws_region
        view   = "timeSeries"
        period = 60
        stat   = "Sum"
        metrics = concat(
          [
            ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", var.table_name],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", var.table_name],
          ],
          [for op in var.table_operations : ["AWS/DynamoDB", "SystemErrors", "TableName", var.table_name, "Operation", op]],
        )
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "DynamoDB: request latency (ms)"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        stat   = "Average"
        metrics = [
          for op in var.table_operations : ["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", var.table_name, "Operation", op]
        ]
      }
    }),
  ]

  ingestion_widgets = [
    merge(local.widget, {
      properties = {
        title  = "Ingestion: articles per source"
        region = var.aws_region
        view   = "timeSeries"
        period = 900
        stat   = "Sum"
        metrics = concat(
          [[local.ns, "NewArticles", "Environment", local.env]],
          flatten([
            for source in var.sources : [
              [local.ns, "ArticlesFetched", "Environment", local.env, "Source", source],
              [local.ns, "DuplicatesSkipped", "Environment", local.env, "Source", source],
            ]
          ]),
        )
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "Ingestion: source errors and open circuits"
        region = var.aws_region
        view   = "timeSeries"
        period = 900
        metrics = flatten([
          for source in var.sources : [
            [local.ns, "SourceErrors", "Environment", local.env, "Source", source, { stat = "Sum" }],
            [local.ns, "CircuitOpen", "Environment", local.env, "Source", source, { stat = "Maximum" }],
          ]
        ])
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "Ingestion: quota remaining (lowest window)"
        region = var.aws_region
        view   = "timeSeries"
        period = 900
        stat   = "Minimum"
        metrics = [
          for source in var.sources : [local.ns, "QuotaRemaining", "Environment", local.env, "Source", source]
        ]
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "Ingestion: run duration (ms)"
        region = var.aws_region
        view   = "timeSeries"
        period = 900
        metrics = [
          [local.ns, "IngestionDurationMs", "Environment", local.env, { stat = "p95" }],
          [local.ns, "IngestionDurationMs", "Environment", local.env, { stat = "Maximum" }],
        ]
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "Ingestion: failed runs waiting in the DLQ"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        stat   = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name],
        ]
      }
    }),
  ]

  # CloudFront publishes its metrics in us-east-1 only, under Region = Global.
  cdn_widgets = [
    merge(local.widget, {
      properties = {
        title  = "CloudFront: requests"
        region = "us-east-1"
        view   = "timeSeries"
        period = 300
        stat   = "Sum"
        metrics = [
          ["AWS/CloudFront", "Requests", "Region", "Global", "DistributionId", var.distribution_id],
        ]
      }
    }),
    merge(local.widget, {
      properties = {
        title  = "CloudFront: error rates (%)"
        region = "us-east-1"
        view   = "timeSeries"
        period = 300
        stat   = "Average"
        metrics = [
          ["AWS/CloudFront", "4xxErrorRate", "Region", "Global", "DistributionId", var.distribution_id],
          ["AWS/CloudFront", "5xxErrorRate", "Region", "Global", "DistributionId", var.distribution_id],
        ]
      }
    }),
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name}-dashboard"

  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "text"
          width  = 24
          height = 2
          properties = {
            markdown = "# ${var.name}\nLambda, API, DynamoDB, ingestion and CloudFront health. Thresholds and procedures: docs/runbooks (each alarm names its runbook). Alarms notify SNS topic `${aws_sns_topic.alarms.name}`."
          }
        },
        {
          type   = "alarm"
          width  = 24
          height = 4
          properties = {
            title  = "Alarms"
            alarms = sort([for alarm in aws_cloudwatch_metric_alarm.this : alarm.arn])
          }
        },
      ],
      local.lambda_widgets,
      local.api_widgets,
      local.dynamodb_widgets,
      local.ingestion_widgets,
      local.cdn_widgets,
    )
  })
}
