#!/usr/bin/env bash
# Blue-green rollout of a service's newest revision (seed 001 6.2): 10 % of
# traffic for 10 minutes, 50 % for 30 minutes, then 100 %. After each wait the
# new revision's error rate (5xx / requests, from Cloud Run's request logs) must
# be at most MAX_ERROR_RATE (0.01 = 1 %), else all traffic goes back to the
# previous revision and the build fails.
#   cloudbuild/rollout.sh SERVICE REGION [MAX_ERROR_RATE]
set -euo pipefail
service="$1" region="$2" max="${3:-0.01}"
steps=("10:10" "50:30")

revisions="$(gcloud run revisions list --service "$service" --region "$region" \
  --sort-by='~metadata.creationTimestamp' --format='value(metadata.name)' --limit 2)"
new="$(sed -n 1p <<<"$revisions")" old="$(sed -n 2p <<<"$revisions")"
[ -n "$old" ] || { echo "rollout: first revision $new takes all traffic"; exit 0; }

error_rate() { # over the last $1 minutes, for revision $2
  local since filter total errors
  since="$(date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%SZ)"
  filter="resource.type=cloud_run_revision AND resource.labels.service_name=$service AND resource.labels.revision_name=$2 AND httpRequest.status>0 AND timestamp>=\"$since\""
  total="$(gcloud logging read "$filter" --format='value(httpRequest.status)' --limit 100000 | wc -l)"
  errors="$(gcloud logging read "$filter AND httpRequest.status>=500" --format='value(httpRequest.status)' --limit 100000 | wc -l)"
  python3 -c "print(0 if $total == 0 else $errors / $total)"
}

for step in "${steps[@]}"; do
  percent="${step%%:*}" minutes="${step##*:}"
  echo "rollout: $new at $percent % for $minutes min"
  gcloud run services update-traffic "$service" --region "$region" --to-revisions "$new=$percent,$old=$((100 - percent))"
  sleep "$((minutes * 60))"
  rate="$(error_rate "$minutes" "$new")"
  if python3 -c "import sys; sys.exit(0 if $rate > $max else 1)"; then
    echo "rollout: error rate $rate > $max: rolling back to $old" >&2
    gcloud run services update-traffic "$service" --region "$region" --to-revisions "$old=100"
    exit 1
  fi
done
gcloud run services update-traffic "$service" --region "$region" --to-revisions "$new=100"
echo "rollout: $new takes all traffic"
