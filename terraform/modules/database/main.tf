# Cloud SQL (seed 001 §4.1): Postgres 15, private IP only, SSL required,
# daily backups at 03:00 with point-in-time recovery for 7 days, 30 backups
# kept, maintenance Sunday 04:00. The services' pool (crates/store) matches
# the seeds: 20 connections + 10 burst, 30 s acquire timeout, 3600 s lifetime.

variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1"
}
variable "network_id" { type = string }
variable "private_services_connection" {
  type        = string
  description = "Only to order creation after private service access exists."
}
variable "tier" {
  type    = string
  default = "db-standard-1" # §4.1: 1 vCPU, 3.75 GB
}
variable "disk_size_gb" {
  type    = number
  default = 100
}
variable "deletion_protection" {
  type    = bool
  default = true
}

resource "google_sql_database_instance" "manga_db" {
  project             = var.project_id
  name                = "manga-db-instance"
  database_version    = "POSTGRES_15"
  region              = var.region
  deletion_protection = var.deletion_protection

  settings {
    tier                  = var.tier
    availability_type     = "ZONAL"
    disk_type             = "PD_SSD"
    disk_size             = var.disk_size_gb
    disk_autoresize       = true
    disk_autoresize_limit = 500

    backup_configuration {
      enabled                        = true
      start_time                     = "03:00"
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7
      backup_retention_settings {
        retained_backups = 30
      }
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network_id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    maintenance_window {
      day          = 7 # Sunday
      hour         = 4
      update_track = "stable"
    }

    database_flags {
      name  = "max_connections"
      value = "200"
    }
  }

  depends_on = [var.private_services_connection]
}

resource "google_sql_database" "manga" {
  project  = var.project_id
  name     = "manga"
  instance = google_sql_database_instance.manga_db.name
}

output "instance_connection_name" { value = google_sql_database_instance.manga_db.connection_name }
output "private_ip" { value = google_sql_database_instance.manga_db.private_ip_address }
