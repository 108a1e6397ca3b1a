# Pub/Sub (seed 001 §5.3 and DESIGN "How work moves"), the same topology that
# `manga topology` creates on the emulator (crates/bus/src/pubsub/topology.rs):
# every work topic has a dead-letter topic "{topic}-dead-letter" kept 7 days,
# and a push subscription with OIDC tokens, Pub/Sub's 10-600 s backoff, and
# at most 5 delivery attempts before the dead letter. Dead letters are pushed
# to the orchestrator, which marks their job failed.

variable "project_id" { type = string }
variable "service_urls" {
  type        = map(string)
  description = "Cloud Run URL by service name (orchestrator, phase1-concept, …)."
}
variable "push_service_account" {
  type        = string
  description = "The account Pub/Sub signs push tokens as; each service checks it (PUSH_SERVICE_ACCOUNT)."
}
variable "max_delivery_attempts" {
  type    = number
  default = 5 # §5.3 Dead Letter Queue
}
variable "dead_letter_retention" {
  type    = string
  default = "604800s" # 7 days, §5.3
}

locals {
  phase_services = ["phase1-concept", "phase2-characters", "phase3-plot", "phase4-name",
  "phase5-images", "phase6-lettering", "phase7-compose", "phase8-publish"]
  # topic => [subscription, service, ack deadline]
  routes = merge(
    { for i, s in local.phase_services : "phase-${i + 1}-requests" => {
    subscription = "phase-${i + 1}-requests-push", service = s, ack_deadline = 600 } },
    {
      # Phase 2's portraits and phase 5's panels, one message each, so no push request draws more than one.
      "phase-2-portraits"        = { subscription = "phase-2-portraits-push", service = "phase2-characters", ack_deadline = 600 }
      "phase-5-panels"           = { subscription = "phase-5-panels-push", service = "phase5-images", ack_deadline = 600 }
      "phase-completed"          = { subscription = "phase-transition-handler", service = "orchestrator", ack_deadline = 60 }
      "hitl-feedback-topic"      = { subscription = "hitl-feedback-processor", service = "orchestrator", ack_deadline = 60 }
      "session-management-topic" = { subscription = "session-cleanup-service", service = "orchestrator", ack_deadline = 60 }
      "phase-progress"           = { subscription = "phase-progress-push", service = "orchestrator", ack_deadline = 60 }
    },
  )
}

resource "google_pubsub_topic" "work" {
  for_each = local.routes
  project  = var.project_id
  name     = each.key
}

resource "google_pubsub_topic" "dead_letter" {
  for_each                   = local.routes
  project                    = var.project_id
  name                       = "${each.key}-dead-letter"
  message_retention_duration = var.dead_letter_retention
}

resource "google_pubsub_subscription" "push" {
  for_each             = local.routes
  project              = var.project_id
  name                 = each.value.subscription
  topic                = google_pubsub_topic.work[each.key].id
  ack_deadline_seconds = each.value.ack_deadline
  push_config {
    push_endpoint = "${var.service_urls[each.value.service]}/pubsub/push"
    oidc_token {
      service_account_email = var.push_service_account
      audience              = var.service_urls[each.value.service]
    }
  }
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }
}

resource "google_pubsub_subscription" "dead_letter_push" {
  for_each             = local.routes
  project              = var.project_id
  name                 = "${each.key}-dead-letter-push"
  topic                = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds = 60
  push_config {
    push_endpoint = "${var.service_urls["orchestrator"]}/pubsub/push"
    oidc_token {
      service_account_email = var.push_service_account
      audience              = var.service_urls["orchestrator"]
    }
  }
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}

# Pub/Sub's own agent must be able to publish dead letters and ack the originals.
data "google_project" "this" {
  project_id = var.project_id
}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.routes
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.routes
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

output "topics" { value = [for t in google_pubsub_topic.work : t.name] }
