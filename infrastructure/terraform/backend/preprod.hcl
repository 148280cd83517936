# State for the preprod environment. The bucket is created once by hand (docs/deploy.md,
# "Bootstrap"); bucket names are global, so if this one is taken choose another and change it here.
bucket       = "sentiment-analyzer-tfstate-preprod"
key          = "sentiment-analyzer/preprod/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
