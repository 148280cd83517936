# Only the secret containers: their values (the vendors' API keys) are put by an operator with
# `aws secretsmanager put-secret-value` (docs/deploy.md) so they never reach Terraform state.

locals {
  vendors = {
    tiingo  = "Tiingo news API key"
    finnhub = "Finnhub news API key"
  }
}

resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key (aws/secretsmanager); only the ingestion role may read it, and a customer managed key would add $1/month per environment.
  #checkov:skip=CKV2_AWS_57:Third-party API keys are rotated in the vendors' portals, not by a rotation Lambda; docs/deploy.md describes putting the new value.
  for_each = local.vendors

  name                    = "${var.name_prefix}/${each.key}-api-key"
  description             = each.value
  recovery_window_in_days = var.recovery_window_days
}
