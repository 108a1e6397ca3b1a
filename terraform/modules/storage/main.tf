# Cloud Storage (seed 001 §4.3): one bucket per role, named
# "{project}-manga-{role}" as crates/blob expects (GCS_BUCKET_PREFIX =
# "{project}-manga-"), with the seeds' lifecycle rules. Preview images are
# written with Cache-Control "public, max-age=604800, immutable" by the
# services (the header is per object, not per bucket).

variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1"
}
variable "cors_origins" {
  type    = list(string)
  default = ["https://*.manga-service.com"]
}

locals {
  prefix = "${var.project_id}-manga-"
}

resource "google_storage_bucket" "input_data" {
  project                     = var.project_id
  name                        = "${local.prefix}input-data"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "output_images" {
  project                     = var.project_id
  name                        = "${local.prefix}output-images"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  cors {
    origin          = var.cors_origins
    method          = ["GET", "HEAD"]
    response_header = ["*"]
    max_age_seconds = 3600
  }
}

resource "google_storage_bucket" "preview_cache" {
  project                     = var.project_id
  name                        = "${local.prefix}preview-cache"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  cors {
    origin          = var.cors_origins
    method          = ["GET", "HEAD"]
    response_header = ["*"]
    max_age_seconds = 3600
  }
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "version_snapshots" {
  project                     = var.project_id
  name                        = "${local.prefix}version-snapshots"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }
  lifecycle_rule {
    condition {
      age = 60
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "final_products" {
  project                     = var.project_id
  name                        = "${local.prefix}final-products"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }
  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }
}

resource "google_storage_bucket" "temp_data" {
  project                     = var.project_id
  name                        = "${local.prefix}temp-data"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }
}

output "bucket_prefix" { value = local.prefix }
output "bucket_names" {
  value = [
    google_storage_bucket.input_data.name,
    google_storage_bucket.output_images.name,
    google_storage_bucket.preview_cache.name,
    google_storage_bucket.version_snapshots.name,
    google_storage_bucket.final_products.name,
    google_storage_bucket.temp_data.name,
  ]
}
