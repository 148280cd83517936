terraform {
  # 1.9 for validation rules that refer to other variables; 1.10+ for S3 native state locking.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Configured per environment: terraform init -backend-config=backend/<env>.hcl
  backend "s3" {}
}
