# The whole stack of the seeds for one project: every module wired together.
# envs/dev and envs/prod call it with what differs per environment.

variable "project_id" { type = string }
variable "billing_account" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1" # seed 001 §2.1
}
variable "github_owner" { type = string }
variable "github_repo" { type = string }
variable "deploy_branch" {
  type        = string
  description = "Pushes to matching branches deploy (seed 001 §6.2)."
}
variable "monthly_budget_usd" { type = number }
variable "budget_thresholds" { type = list(number) }
variable "deletion_protection" {
  type    = bool
  default = true
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
  deletion_protection         = var.deletion_protection
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
  monthly_budget_usd = var.monthly_budget_usd
  budget_thresholds  = var.budget_thresholds
}

module "cicd" {
  source          = "../../modules/cicd"
  project_id      = var.project_id
  region          = var.region
  github_owner    = var.github_owner
  github_repo     = var.github_repo
  branch          = var.deploy_branch
  service_account = module.iam.cicd_service_account
}
