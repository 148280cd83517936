provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.extra_tags, {
      Project     = local.project
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
