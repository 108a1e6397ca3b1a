# The dev environment: every module with the seeds' defaults; only what
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
    prefix = "manga/dev"
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

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  services = ["orchestrator", "phase1-concept", "phase2-characters", "phase3-plot", "phase4-name",
  "phase5-images", "phase6-lettering", "phase7-compose", "phase8-publish"]
  # Cloud Run's deterministic URLs: https://{service}-{project number}.{region}.run.app
  service_urls = { for s in local.services : s => "https://${s}-${data.google_project.this.number}.${var.region}.run.app" }
}

module "network" {
  source     = "../../modules/network"
  project_id = var.project_id
  region     = var.region
}

module "database" {
  source                      = "../../modules/database"
  project_id                  = var.project_id
  region                      = var.region
  network_id                  = module.network.network_id
  private_services_connection = module.network.private_services_connection
  deletion_protection         = false
}

module "redis" {
  source                      = "../../modules/redis"
  project_id                  = var.project_id
  region                      = var.region
  network_id                  = module.network.network_id
  private_services_connection = module.network.private_services_connection
}

module "storage" {
  source     = "../../modules/storage"
  project_id = var.project_id
  region     = var.region
}

module "secrets" {
  source     = "../../modules/secrets"
  project_id = var.project_id
}

module "iam" {
  source     = "../../modules/iam"
  project_id = var.project_id
  buckets = {
    "input-data"        = "${module.storage.bucket_prefix}input-data"
    "output-images"     = "${module.storage.bucket_prefix}output-images"
    "preview-cache"     = "${module.storage.bucket_prefix}preview-cache"
    "version-snapshots" = "${module.storage.bucket_prefix}version-snapshots"
    "final-products"    = "${module.storage.bucket_prefix}final-products"
    "temp-data"         = "${module.storage.bucket_prefix}temp-data"
  }
  secrets = module.secrets.secret_ids
}

module "pubsub" {
  source               = "../../modules/pubsub"
  project_id           = var.project_id
  service_urls         = local.service_urls
  push_service_account = module.iam.push_service_account
}

module "monitoring" {
  source             = "../../modules/monitoring"
  project_id         = var.project_id
  billing_account    = var.billing_account
  monthly_budget_usd = 200
  budget_thresholds  = [0.8, 1.0]
}

module "cicd" {
  source          = "../../modules/cicd"
  project_id      = var.project_id
  region          = var.region
  github_owner    = var.github_owner
  github_repo     = var.github_repo
  branch          = "^feature/.*$"
  service_account = module.iam.cicd_service_account
}
