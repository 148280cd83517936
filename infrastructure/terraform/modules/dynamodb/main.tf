# The single table of docs/data-model.md: every item under PK/SK, one index GSI1 (the article
# feed), expiry through the TTL attribute expires_at. Key names and types must match the code.

locals {
  gsi_name    = "GSI1"
  provisioned = var.billing_mode == "PROVISIONED"

  # Target-tracking scales each capacity dimension of the table and of GSI1 independently.
  scaling = local.provisioned ? {
    table_read = {
      resource_id = "table/${var.table_name}"
      dimension   = "dynamodb:table:ReadCapacityUnits"
      metric      = "DynamoDBReadCapacityUtilization"
      min         = var.read_capacity
    }
    table_write = {
      resource_id = "table/${var.table_name}"
      dimension   = "dynamodb:table:WriteCapacityUnits"
      metric      = "DynamoDBWriteCapacityUtilization"
      min         = var.write_capacity
    }
    gsi_read = {
      resource_id = "table/${var.table_name}/index/${local.gsi_name}"
      dimension   = "dynamodb:index:ReadCapacityUnits"
      metric      = "DynamoDBReadCapacityUtilization"
      min         = var.gsi_read_capacity
    }
    gsi_write = {
      resource_id = "table/${var.table_name}/index/${local.gsi_name}"
      dimension   = "dynamodb:index:WriteCapacityUnits"
      metric      = "DynamoDBWriteCapacityUtilization"
      min         = var.gsi_write_capacity
    }
  } : {}
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed key adds $1/month and key-policy upkeep for public news data.
  name                        = var.table_name
  billing_mode                = var.billing_mode
  hash_key                    = "PK"
  range_key                   = "SK"
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "GSI1PK"
    type = "S"
  }

  attribute {
    name = "GSI1SK"
    type = "S"
  }

  global_secondary_index {
    name            = local.gsi_name
    hash_key        = "GSI1PK"
    range_key       = "GSI1SK"
    projection_type = "ALL"
    read_capacity   = local.provisioned ? var.gsi_read_capacity : null
    write_capacity  = local.provisioned ? var.gsi_write_capacity : null
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_appautoscaling_target" "this" {
  for_each = local.scaling

  service_namespace  = "dynamodb"
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.dimension
  min_capacity       = each.value.min
  max_capacity       = var.autoscaling_max_capacity

  depends_on = [aws_dynamodb_table.this]
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.scaling

  name               = "${var.table_name}-${replace(each.key, "_", "-")}-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.autoscaling_target_utilization

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}

# Runbook "DynamoDB Hot Key": describe-contributor-insights names the most used keys.
resource "aws_dynamodb_contributor_insights" "this" {
  for_each = var.contributor_insights ? toset(["table", "index"]) : toset([])

  table_name = aws_dynamodb_table.this.name
  index_name = each.key == "index" ? local.gsi_name : null
}
