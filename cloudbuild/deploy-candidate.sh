#!/usr/bin/env bash
# Applies deploy/cloudrun/<service>.yaml with a new image as a new revision
# while all traffic stays on the revision serving now (the first deploy of a
# service takes all traffic: there is nothing to protect yet).
#   cloudbuild/deploy-candidate.sh SERVICE REGION IMAGE PROJECT_ID PROJECT_NUMBER
set -euo pipefail
service="$1" region="$2" image="$3" project="$4" number="$5"
spec="$(mktemp)"
sed -e "s|image: .*|image: $image|" -e "s|PROJECT_NUMBER|$number|g" -e "s|PROJECT_ID|$project|g" \
  "deploy/cloudrun/$service.yaml" > "$spec"
current="$(gcloud run services describe "$service" --region "$region" \
  --format='value(status.traffic[0].revisionName)' 2>/dev/null || true)"
if [ -n "$current" ]; then
  python3 - "$spec" "$current" <<'PY'
import sys
path, current = sys.argv[1], sys.argv[2]
text = open(path).read()
head, _, _ = text.partition("  traffic:\n")
open(path, "w").write(head + f"  traffic:\n  - revisionName: {current}\n    percent: 100\n  - latestRevision: true\n    percent: 0\n    tag: candidate\n")
PY
fi
gcloud run services replace "$spec" --region "$region"
