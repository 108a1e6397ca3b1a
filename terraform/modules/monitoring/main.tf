# Alerts and the budget. Thresholds: request error rate > 5 % (seed 000 §7.3,
# 002 §6.3), API p99 > 1 s (000 §7.3), memory > 85 % (000 §7.3), HITL
# feedback timeout rate > 0.3 (001 §5.3). Budget per environment (002 コスト監視):
# production $800/month alerting at 75/90/100 %, development $200 at 80/100 %.

variable "project_id" { type = string }
variable "billing_account" { type = string }
variable "notification_channels" {
  type    = list(string)
  default = []
}
variable "monthly_budget_usd" {
  type    = number
  default = 800
}
variable "budget_thresholds" {
  type    = list(number)
  default = [0.75, 0.9, 1.0]
}
variable "error_rate_threshold" {
  type    = number
  default = 0.05
}
variable "api_p99_seconds" {
  type    = number
  default = 1
}
variable "memory_utilization_threshold" {
  type    = number
  default = 0.85
}
variable "hitl_timeout_rate_threshold" {
  type    = number
  default = 0.3
}

resource "google_monitoring_alert_policy" "error_rate" {
  project      = var.project_id
  display_name = "manga: request error rate > 5 %"
  combiner     = "OR"
  conditions {
    display_name = "5xx share of requests, per service"
    condition_monitoring_query_language {
      query    = <<-MQL
        fetch cloud_run_revision
        | metric 'run.googleapis.com/request_count'
        | filter resource.service_name =~ 'orchestrator|phase.*'
        | align rate(5m)
        | group_by [resource.service_name],
            [errors: sum(if(metric.response_code_class == '5xx', val(), 0)), all: sum(val())]
        | value [ratio: errors / all]
        | condition ratio > ${var.error_rate_threshold}
      MQL
      duration = "300s"
    }
  }
  notification_channels = var.notification_channels
  severity              = "CRITICAL"
}

resource "google_monitoring_alert_policy" "api_latency" {
  project      = var.project_id
  display_name = "manga: API p99 latency > 1 s"
  combiner     = "OR"
  conditions {
    display_name = "orchestrator request latency p99"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"orchestrator\" AND metric.type = \"run.googleapis.com/request_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.api_p99_seconds * 1000
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_PERCENTILE_99"
      }
    }
  }
  notification_channels = var.notification_channels
  severity              = "WARNING"
}

resource "google_monitoring_alert_policy" "memory" {
  project      = var.project_id
  display_name = "manga: memory > 85 %"
  combiner     = "OR"
  conditions {
    display_name = "container memory utilization p99"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/container/memory/utilizations\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.memory_utilization_threshold
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_PERCENTILE_99"
      }
    }
  }
  notification_channels = var.notification_channels
  severity              = "WARNING"
}

resource "google_monitoring_alert_policy" "hitl_timeouts" {
  project      = var.project_id
  display_name = "manga: HITL feedback timeout rate > 0.3"
  combiner     = "OR"
  conditions {
    display_name = "reviews that timed out / reviews"
    condition_monitoring_query_language {
      query    = <<-MQL
        fetch prometheus_target
        | { metric 'prometheus.googleapis.com/hitl_review_timeouts_total/counter' ; metric 'prometheus.googleapis.com/hitl_reviews_total/counter' }
        | align rate(15m)
        | join
        | value [rate: val(0) / val(1)]
        | condition rate > ${var.hitl_timeout_rate_threshold}
      MQL
      duration = "900s"
    }
  }
  notification_channels = var.notification_channels
  severity              = "WARNING"
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_billing_budget" "monthly" {
  billing_account = var.billing_account
  display_name    = "manga ${var.project_id} monthly"
  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }
  amount {
    specified_amount {
      currency_code = "USD"
      units         = tostring(var.monthly_budget_usd)
    }
  }
  dynamic "threshold_rules" {
    for_each = var.budget_thresholds
    content {
      threshold_percent = threshold_rules.value
    }
  }
}
