# Network (seed 001 §2): one regional VPC, three subnets, NAT for egress,
# firewall rules, and private service access so Cloud SQL and Memorystore get
# private addresses in the VPC. Cloud Run reaches them by Direct VPC egress
# into manga-private (§2.4), no connector.

variable "project_id" { type = string }
variable "region" {
  type    = string
  default = "asia-northeast1" # §2.1
}

resource "google_compute_network" "manga_vpc" {
  project                 = var.project_id
  name                    = "manga-service-vpc"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
  mtu                     = 1460
}

resource "google_compute_subnetwork" "public" {
  project       = var.project_id
  name          = "manga-public"
  ip_cidr_range = "10.0.1.0/24"
  region        = var.region
  network       = google_compute_network.manga_vpc.id
}

resource "google_compute_subnetwork" "private" {
  project                  = var.project_id
  name                     = "manga-private"
  ip_cidr_range            = "10.0.2.0/24"
  region                   = var.region
  network                  = google_compute_network.manga_vpc.id
  private_ip_google_access = true
}

resource "google_compute_subnetwork" "management" {
  project                  = var.project_id
  name                     = "manga-management"
  ip_cidr_range            = "10.0.3.0/24"
  region                   = var.region
  network                  = google_compute_network.manga_vpc.id
  private_ip_google_access = true
}

resource "google_compute_router" "router" {
  project = var.project_id
  name    = "manga-router"
  region  = var.region
  network = google_compute_network.manga_vpc.id
}

resource "google_compute_router_nat" "nat" {
  project                            = var.project_id
  name                               = "manga-nat"
  router                             = google_compute_router.router.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"
}

resource "google_compute_firewall" "allow_internal" {
  project = var.project_id
  name    = "manga-allow-internal"
  network = google_compute_network.manga_vpc.name
  allow {
    protocol = "tcp"
    ports    = ["0-65535"]
  }
  allow {
    protocol = "udp"
    ports    = ["0-65535"]
  }
  source_ranges = ["10.0.0.0/16"]
}

resource "google_compute_firewall" "allow_health_check" {
  project = var.project_id
  name    = "manga-allow-health-check"
  network = google_compute_network.manga_vpc.name
  allow {
    protocol = "tcp"
    ports    = ["8080"]
  }
  # Google's health checkers.
  source_ranges = ["130.211.0.0/22", "35.191.0.0/16"]
  target_tags   = ["cloud-run-service"]
}

# Private service access: Cloud SQL's private IP and Memorystore live here.
resource "google_compute_global_address" "private_services" {
  project       = var.project_id
  name          = "manga-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = google_compute_network.manga_vpc.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.manga_vpc.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

output "network_id" { value = google_compute_network.manga_vpc.id }
output "network_name" { value = google_compute_network.manga_vpc.name }
output "private_subnet" { value = google_compute_subnetwork.private.name }
output "private_services_connection" { value = google_service_networking_connection.private_services.id }
