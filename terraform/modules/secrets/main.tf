# Secret Manager (seed 001 §5.2). Values are added out of band
# (gcloud secrets versions add); Cloud Run reads them as environment
# variables (deploy/cloudrun: DATABASE_URL, SECRET_KEY).

variable "project_id" { type = string }

locals {
  secrets = {
    secret_key     = "manga-secret-key"   # the orchestrator's HS256 key for people's tokens
    database_url   = "manga-database-url" # postgres://…@10.0.2.5/manga?sslmode=require
    gemini_api_key = "gemini-api-key"
    imagen_api_key = "imagen-api-key"
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.value
  replication {
    auto {}
  }
}

output "secret_ids" { value = { for k, s in google_secret_manager_secret.secret : k => s.secret_id } }
