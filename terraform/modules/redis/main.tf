# Memorystore (seed 001 §4.2): Redis 7.0, Basic tier, 1 GB — v2.0 moved
# previews to Cloud Storage + CDN, leaving sessions, rate limits and
# notification channels (session:{id} TTL 3600, phase_progress:{id}, …).

variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1"
}
variable "network_id" { type = string }
variable "private_services_connection" { type = string }
variable "memory_size_gb" {
  type    = number
  default = 1
}

resource "google_redis_instance" "manga" {
  project            = var.project_id
  name               = "manga-redis"
  region             = var.region
  tier               = "BASIC"
  memory_size_gb     = var.memory_size_gb
  redis_version      = "REDIS_7_0"
  authorized_network = var.network_id
  connect_mode       = "PRIVATE_SERVICE_ACCESS"
  redis_configs = {
    # Sessions have TTLs; evict those first if memory runs out.
    maxmemory-policy       = "volatile-lru"
    notify-keyspace-events = ""
  }
  depends_on = [var.private_services_connection]
}

output "host" { value = google_redis_instance.manga.host }
output "port" { value = google_redis_instance.manga.port }
