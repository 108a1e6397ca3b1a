# Service accounts (seed 001 §3.3, §5.1 least privilege): one per service, so a
# phase can only touch what it needs. The Cloud Run services themselves are
# deploy/cloudrun/*.yaml, applied by Cloud Build (cloudbuild/service.yaml);
# here are their identities, what those may do, and the push identity Pub/Sub
# signs tokens as, which alone may invoke the services.

variable "project_id" { type = string }
variable "buckets" {
  type        = map(string)
  description = "Bucket name by role (input-data, output-images, preview-cache, version-snapshots, final-products, temp-data)."
}
variable "secrets" {
  type        = map(string)
  description = "Secret id by name (secret_key, database_url, gemini_api_key, imagen_api_key)."
}

locals {
  phases = ["phase1-concept", "phase2-characters", "phase3-plot", "phase4-name",
  "phase5-images", "phase6-lettering", "phase7-compose", "phase8-publish"]
  services = concat(["orchestrator"], local.phases)
  # Every service: its database, logs, metrics, traces.
  common_roles = ["roles/cloudsql.client", "roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/cloudtrace.agent"]
  # Bucket roles each service writes (objectAdmin) or only reads (objectViewer).
  writes = merge(
    { orchestrator = keys(var.buckets) },
    { for p in local.phases : p => ["output-images", "preview-cache", "version-snapshots", "temp-data"] },
    { "phase8-publish" = ["output-images", "preview-cache", "version-snapshots", "temp-data", "final-products"] },
  )
  reads = { for s in local.services : s => s == "orchestrator" ? [] : ["input-data"] }
  # Model keys only for the phases that call a model (1-5).
  model_phases = slice(local.phases, 0, 5)
}

resource "google_service_account" "service" {
  for_each     = toset(local.services)
  project      = var.project_id
  account_id   = "manga-${each.key}"
  display_name = "manga ${each.key} (Cloud Run)"
}

resource "google_project_iam_member" "common" {
  for_each = { for pair in setproduct(local.services, local.common_roles) : "${pair[0]} ${pair[1]}" => pair }
  project  = var.project_id
  role     = each.value[1]
  member   = "serviceAccount:${google_service_account.service[each.value[0]].email}"
}

# Publishing: phases report to phase-completed and phase-progress; the orchestrator sends requests.
resource "google_project_iam_member" "publisher" {
  for_each = toset(local.services)
  project  = var.project_id
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.service[each.key].email}"
}

resource "google_storage_bucket_iam_member" "writes" {
  for_each = { for pair in flatten([for s, roles in local.writes : [for r in roles : [s, r]]]) : "${pair[0]} ${pair[1]}" => pair }
  bucket   = var.buckets[each.value[1]]
  role     = "roles/storage.objectAdmin"
  member   = "serviceAccount:${google_service_account.service[each.value[0]].email}"
}

resource "google_storage_bucket_iam_member" "reads" {
  for_each = { for pair in flatten([for s, roles in local.reads : [for r in roles : [s, r]]]) : "${pair[0]} ${pair[1]}" => pair }
  bucket   = var.buckets[each.value[1]]
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.service[each.value[0]].email}"
}

resource "google_secret_manager_secret_iam_member" "database_url" {
  for_each  = toset(local.services)
  project   = var.project_id
  secret_id = var.secrets["database_url"]
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.service[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "secret_key" {
  project   = var.project_id
  secret_id = var.secrets["secret_key"]
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.service["orchestrator"].email}"
}

resource "google_secret_manager_secret_iam_member" "model_keys" {
  for_each  = { for pair in setproduct(local.model_phases, ["gemini_api_key", "imagen_api_key"]) : "${pair[0]} ${pair[1]}" => pair }
  project   = var.project_id
  secret_id = var.secrets[each.value[1]]
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.service[each.value[0]].email}"
}

# The identity in Pub/Sub's push tokens (PUSH_SERVICE_ACCOUNT); the only invoker of the services.
resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "manga-pubsub-push"
  display_name = "Pub/Sub push to the manga services"
}

resource "google_project_iam_member" "push_invoker" {
  project = var.project_id
  role    = "roles/run.invoker"
  member  = "serviceAccount:${google_service_account.push.email}"
}

# Cloud Build deploys (seed 001 §3.3 manga-cicd-account).
resource "google_service_account" "cicd" {
  project      = var.project_id
  account_id   = "manga-cicd"
  display_name = "manga Cloud Build"
}

resource "google_project_iam_member" "cicd" {
  for_each = toset(["roles/run.developer", "roles/cloudbuild.builds.editor", "roles/storage.admin",
  "roles/iam.serviceAccountUser", "roles/artifactregistry.writer", "roles/logging.logWriter", "roles/logging.viewer"])
  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.cicd.email}"
}

output "service_accounts" { value = { for s, a in google_service_account.service : s => a.email } }
output "push_service_account" { value = google_service_account.push.email }
output "cicd_service_account" { value = google_service_account.cicd.id }
