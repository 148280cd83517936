# Prod. Operators change settings here, never in the modules; every variable is described in
# variables.tf.
environment = "prod"
aws_region  = "us-east-1"

# DynamoDB. Runbook procedure 2 (switch to provisioned): set billing_mode = "PROVISIONED" and
# table_read_capacity / table_write_capacity / gsi_read_capacity / gsi_write_capacity
# (autoscaling minimums; autoscaling_max_capacity caps them), then
# terraform apply -var-file=prod.tfvars -target=module.dynamodb
billing_mode        = "PAY_PER_REQUEST"
deletion_protection = true

# Runbook "DynamoDB Hot Key" needs Contributor Insights already on when the incident starts.
enable_contributor_insights = true

# Lambda. Runbook procedure 1: after put-function-concurrency, write the same number here or the
# next apply reverts it. Procedure 3: dashboard_provisioned_concurrency = 10 warms prod-warm.
dashboard_reserved_concurrency    = -1
ingestion_reserved_concurrency    = -1
dashboard_provisioned_concurrency = 0

dashboard_url_auth = "AWS_IAM"

# The runbook names Lambda Insights as a monitoring view.
enable_lambda_insights = true

dashboard_log_retention_days = 30
ingestion_log_retention_days = 30

# Runbook procedure 4, then: terraform apply -var-file=prod.tfvars -target=module.eventbridge
ingestion_schedule = "rate(15 minutes)"

price_class = "PriceClass_100"

# Critical and warning alarms. Subscribe on-call tooling (PagerDuty, chat) to the
# sentiment-analyzer-prod-alarms topic, or set alarm_email.
enable_warning_alarms = true
alarm_email           = null

secret_recovery_window_days = 30
