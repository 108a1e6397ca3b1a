# The prod environment: every module with the seeds' defaults; only what
# differs per environment is set here (budget per seed 002 コスト監視,
# deploy branch per seed 001 §6.2).

terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
  backend "gcs" {
    prefix = "manga/prod"
  }
}

variable "project_id" { type = string }
variable "billing_account" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1" # seed 001 §2.1
}
variable "github_owner" {
  type    = string
  default = "manga-service"
}
variable "github_repo" {
  type    = string
  default = "manga"
}

provider "google" {
  project = var.project_id
  region  = var.region
}

module "stack" {
  source              = "../../modules/stack"
  project_id          = var.project_id
  billing_account     = var.billing_account
  region              = var.region
  github_owner        = var.github_owner
  github_repo         = var.github_repo
  deploy_branch       = "^main$"
  monthly_budget_usd  = 800
  budget_thresholds   = [0.75, 0.9, 1.0]
  deletion_protection = true
}
