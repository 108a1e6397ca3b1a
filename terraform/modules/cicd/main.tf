# One Cloud Build trigger per service (DESIGN "Deployment"): it fires only when
# a change touches that service's own directory, the crates it is built from,
# the lock file, its Cloud Run YAML or the Dockerfile, and runs
# cloudbuild/service.yaml (build, test, blue-green rollout).

variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1"
}
variable "github_owner" { type = string }
variable "github_repo" { type = string }
variable "branch" {
  type    = string
  default = "^main$"
}
variable "service_account" {
  type        = string
  description = "The build's service account id (iam module's cicd_service_account)."
}

locals {
  # The crates each service is built from (shared ones for all).
  shared = ["crates/domain/**", "crates/proto/**", "proto/**", "crates/bus/**", "crates/store/**",
  "crates/blob/**", "crates/cache/**", "crates/runtime/**", "Cargo.lock", "Cargo.toml", "docker/Dockerfile"]
  phase_crates = ["crates/phases/**", "crates/ai/**", "crates/render/**"]
  services = {
    "orchestrator"      = ["crates/orchestrator/**", "crates/ai/**", "crates/phases/**"]
    "phase1-concept"    = local.phase_crates
    "phase2-characters" = local.phase_crates
    "phase3-plot"       = local.phase_crates
    "phase4-name"       = local.phase_crates
    "phase5-images"     = local.phase_crates
    "phase6-lettering"  = local.phase_crates
    "phase7-compose"    = local.phase_crates
    "phase8-publish"    = local.phase_crates
  }
}

resource "google_cloudbuild_trigger" "service" {
  for_each        = local.services
  project         = var.project_id
  location        = var.region
  name            = "deploy-${each.key}"
  filename        = "cloudbuild/service.yaml"
  included_files  = concat(["services/${each.key}/**", "deploy/cloudrun/${each.key}.yaml"], each.value, local.shared)
  ignored_files   = ["**/*.md"]
  substitutions   = { _SERVICE = each.key, _REGION = var.region }
  service_account = var.service_account
  github {
    owner = var.github_owner
    name  = var.github_repo
    push {
      branch = var.branch
    }
  }
}

output "triggers" { value = [for t in google_cloudbuild_trigger.service : t.name] }
