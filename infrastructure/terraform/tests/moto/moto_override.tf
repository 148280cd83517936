# Test-only: scripts/check-infrastructure copies this file into a temporary copy of the root
# module so `terraform apply` runs against a local moto server. Terraform merges *_override.tf
# files into the configuration. Endpoints come from the environment, which the provider reads for
# every service: AWS_ENDPOINT_URL (moto) and AWS_ENDPOINT_URL_CLOUDFRONT (cloudfront_shim.py in
# front of moto); credentials are dummies from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
# State stays local, in the temporary copy.

terraform {
  backend "local" {}
}

provider "aws" {
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  s3_use_path_style           = true
}
