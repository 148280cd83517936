# Preprod: prod's shape at the lowest cost. Operators change settings here, never in the modules;
# every variable is described in variables.tf.
environment = "preprod"
aws_region  = "us-east-1"

# DynamoDB. Runbook procedure 2 (switch to provisioned): set billing_mode = "PROVISIONED" and
# table_read_capacity / table_write_capacity / gsi_read_capacity / gsi_write_capacity
# (autoscaling minimums; autoscaling_max_capacity caps them), then
# terraform apply -var-file=preprod.tfvars -target=module.dynamodb
billing_mode                = "PAY_PER_REQUEST"
deletion_protection         = false
enable_contributor_insights = false

# Lambda. Runbook procedure 1: after put-function-concurrency, write the same number here or the
# next apply reverts it. Procedure 3: dashboard_provisioned_concurrency = 10 warms prod-warm.
dashboard_reserved_concurrency    = -1
ingestion_reserved_concurrency    = -1
dashboard_provisioned_concurrency = 0

# Same auth as prod, so preprod exercises CloudFront's origin access control. "NONE" makes the
# Function URL public for testing without CloudFront (refused in prod).
dashboard_url_auth = "AWS_IAM"

enable_lambda_insights = false

# Runbook procedure 4, then: terraform apply -var-file=preprod.tfvars -target=module.eventbridge
ingestion_schedule = "rate(15 minutes)"

price_class = "PriceClass_100"

# Critical alarms only; true adds the warning set (see README.md, "Alarms").
enable_warning_alarms = false
alarm_email           = null

# Lets a destroyed preprod be re-created at once with the same secret names.
secret_recovery_window_days = 0
