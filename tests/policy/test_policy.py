"""Deployment policy: the Cloud Run YAML, Dockerfile, Terraform and Cloud Build
files hold the seeds' settings (../shared/seeds; v2.0, 001_*, wins over v1.0).

No Docker engine or GCP project is at hand, so the files are parsed and
checked, not built or applied. Each check returns the problems it finds, so a
test can also prove a check catches a wrong value (see the mutation tests).
"""

import copy
import pathlib
import re
import subprocess

import hcl2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]

PHASES = ["phase1-concept", "phase2-characters", "phase3-plot", "phase4-name",
          "phase5-images", "phase6-lettering", "phase7-compose", "phase8-publish"]
SERVICES = ["orchestrator"] + PHASES

# Seed 001 §3.1: phases 1-7 share 1 CPU / 2Gi, concurrency 50, 300 s.
COMMON = {"cpu": "1", "memory": "2Gi", "concurrency": 50, "timeout": 300}
EXPECTED = {
    # Seed 001 §5.3: WebSocket connections up to 30 minutes, 1000 at once.
    "orchestrator": {**COMMON, "concurrency": 1000, "timeout": 1800},
    "phase1-concept": COMMON,
    # Seed 001 §3.1 Phase2_Overrides: 1.5 CPU / 3Gi, 20 s (12 s + buffer). Cloud Run
    # accepts only whole CPUs above 1 (reference/gcp-contracts.md), so 2. The 20 s
    # cannot hold one portrait at the 10-30 s a real image model takes (plus the
    # bible's text call, 3-15 s), so phase 2 gets phase 5's 60 s (README, "Timeouts").
    "phase2-characters": {**COMMON, "cpu": "2", "memory": "3Gi", "timeout": 60},
    "phase3-plot": COMMON,
    "phase4-name": COMMON,
    # Seed 001 §3.1 Phase5_Overrides: 2 CPU / 4Gi, 60 s (40 s + buffer), concurrency 5.
    "phase5-images": {"cpu": "2", "memory": "4Gi", "concurrency": 5, "timeout": 60},
    # DESIGN: lettering gets 2 CPU / 4Gi as images do.
    "phase6-lettering": {**COMMON, "cpu": "2", "memory": "4Gi"},
    "phase7-compose": COMMON,
    "phase8-publish": COMMON,
}
REGION = "asia-northeast1"  # seed 001 §2.1
MIN_SCALE, MAX_SCALE = "1", "50"  # seed 001 §3.2
# Seed 001 §4.3: bucket role -> lifecycle (age in days -> action).
BUCKETS = {
    "input-data": {90: "Delete"},
    "output-images": {},
    "preview-cache": {30: "Delete"},
    "version-snapshots": {7: "SetStorageClass:NEARLINE", 60: "Delete"},
    "final-products": {30: "SetStorageClass:NEARLINE", 365: "SetStorageClass:COLDLINE"},
    "temp-data": {7: "Delete"},
}
WORK_TOPICS = [f"phase-{n}-requests" for n in range(1, 9)] + [
    "phase-completed", "hitl-feedback-topic", "session-management-topic", "phase-progress"]


# --- loading ------------------------------------------------------------------

def cloud_run(service):
    return yaml.safe_load((ROOT / "deploy/cloudrun" / f"{service}.yaml").read_text())


def terraform(path):
    with open(ROOT / "terraform" / path) as f:
        return hcl2.load(f)


def resources(doc, kind):
    """{name: body} of every `resource "kind" "name"` in a parsed file."""
    found = {}
    for block in doc.get("resource", []):
        for name, body in block.get(kind, {}).items():
            found[name] = body
    return found


def variable_default(doc, name):
    for block in doc.get("variable", []):
        if name in block:
            return block[name].get("default")
    raise KeyError(name)


def runtime_variables():
    """The environment variables the services read: crates/runtime's VARIABLES list, and the
    models' settings (crates/ai/src/settings.rs: AI_CONCURRENCY, PHASE5_AI_TIMEOUT_SECONDS, ...)."""
    source = (ROOT / "crates/runtime/src/config.rs").read_text()
    listed = source.split("const VARIABLES", 1)[1].split("];", 1)[0]
    models = (ROOT / "crates/ai/src/settings.rs").read_text()
    return set(re.findall(r'"([A-Z_]+)"', listed)) | set(re.findall(r'"((?:AI|PHASE\d)_[A-Z0-9_]+)"', models))


# --- checks -------------------------------------------------------------------

def check_cloud_run(service, doc):
    problems = []
    expected = EXPECTED[service]
    want = lambda what, got, value: problems.append(f"{service}: {what} is {got!r}, the seeds say {value!r}") \
        if got != value else None
    meta = doc["metadata"]
    template = doc["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    spec = template["spec"]
    container = spec["containers"][0]
    limits = container["resources"]["limits"]
    want("apiVersion", doc["apiVersion"], "serving.knative.dev/v1")
    want("name", meta["name"], service)
    want("region", meta["labels"]["cloud.googleapis.com/location"], REGION)
    want("ingress", meta["annotations"]["run.googleapis.com/ingress"], "internal-and-cloud-load-balancing")
    want("cpu", limits["cpu"], expected["cpu"])
    want("memory", limits["memory"], expected["memory"])
    want("containerConcurrency", spec["containerConcurrency"], expected["concurrency"])
    want("timeoutSeconds", spec["timeoutSeconds"], expected["timeout"])
    want("minScale", annotations["autoscaling.knative.dev/minScale"], MIN_SCALE)
    want("maxScale", annotations["autoscaling.knative.dev/maxScale"], MAX_SCALE)
    want("execution environment", annotations["run.googleapis.com/execution-environment"], "gen2")
    # Direct VPC egress into the private subnet (seed 001 §2.4), no connector.
    interfaces = yaml.safe_load(annotations["run.googleapis.com/network-interfaces"])
    want("network", interfaces[0]["network"], "manga-service-vpc")
    want("subnetwork", interfaces[0]["subnetwork"], "manga-private")
    if "run.googleapis.com/vpc-access-connector" in annotations:
        problems.append(f"{service}: uses a VPC connector; the seeds use Direct VPC egress")
    want("startup probe path", container["startupProbe"]["httpGet"]["path"], "/health")
    want("startup probe initial delay", container["startupProbe"]["initialDelaySeconds"], 10)  # seed 000 §3.1
    want("port", container["ports"][0]["containerPort"], 8080)
    want("service account", spec["serviceAccountName"], f"manga-{service}@PROJECT_ID.iam.gserviceaccount.com")
    env = {e["name"]: e for e in container.get("env", [])}
    want("SERVICE_NAME", env.get("SERVICE_NAME", {}).get("value"), service)
    if "secretKeyRef" not in env.get("DATABASE_URL", {}).get("valueFrom", {}):
        problems.append(f"{service}: DATABASE_URL must come from Secret Manager")
    # Artifacts in the buckets terraform makes ({project}-manga-{role}).
    want("BLOB_BACKEND", env.get("BLOB_BACKEND", {}).get("value"), "gcs")
    want("GCS_BUCKET_PREFIX", env.get("GCS_BUCKET_PREFIX", {}).get("value"), "PROJECT_ID-manga-")
    if service in PHASES:
        # The service cuts a push where Cloud Run does, and its work lease follows that timeout.
        want("REQUEST_TIMEOUT_SECONDS", env.get("REQUEST_TIMEOUT_SECONDS", {}).get("value"),
             str(spec["timeoutSeconds"]))
    unknown = set(env) - runtime_variables()
    if unknown:
        problems.append(f"{service}: sets variables the services never read: {sorted(unknown)}")
    return problems


def check_cloud_run_limits(service, doc):
    """Cloud Run's own rules (reference/gcp-contracts.md §4), so a deploy is not refused."""
    problems = []
    spec = doc["spec"]["template"]["spec"]
    limits = spec["containers"][0]["resources"]["limits"]
    cpu = float(limits["cpu"])
    gib = float(limits["memory"].removesuffix("Gi"))
    if cpu > 1 and cpu not in (2, 4, 6, 8):
        problems.append(f"{service}: {cpu} CPUs; above 1 Cloud Run takes 2, 4, 6 or 8")
    if gib > 4 and cpu < 2:
        problems.append(f"{service}: {gib} GiB needs at least 2 CPUs")
    if not 1 <= spec["containerConcurrency"] <= 1000:
        problems.append(f"{service}: concurrency must be 1..1000")
    if not 1 <= spec["timeoutSeconds"] <= 3600:
        problems.append(f"{service}: timeout must be 1..3600 s")
    return problems


def check_buckets(doc):
    problems = []
    buckets = resources(doc, "google_storage_bucket")
    by_role = {}
    for body in buckets.values():
        role = body["name"].split("}", 1)[1]
        by_role[role] = body
        if body["location"] != "${var.region}":
            problems.append(f"bucket {role}: location must be the region")
    if sorted(by_role) != sorted(BUCKETS):
        problems.append(f"buckets are {sorted(by_role)}, the seeds name {sorted(BUCKETS)}")
    for role, rules in BUCKETS.items():
        got = {}
        for rule in by_role.get(role, {}).get("lifecycle_rule", []):
            action = rule["action"][0]
            kind = action["type"] + (f":{action['storage_class']}" if "storage_class" in action else "")
            got[rule["condition"][0]["age"]] = kind
        if got != rules:
            problems.append(f"bucket {role}: lifecycle {got}, the seeds say {rules}")
    if variable_default(doc, "region") != REGION:
        problems.append("storage: region must default to asia-northeast1")
    return problems


def check_pubsub(doc):
    problems = []
    if variable_default(doc, "max_delivery_attempts") != 5:
        problems.append("dead letters must come after 5 delivery attempts (seed 001 §5.3)")
    if variable_default(doc, "dead_letter_retention") != "604800s":
        problems.append("dead letters must be kept 7 days (seed 001 §5.3)")
    # The routes local is an HCL expression; python-hcl2 gives it back as text.
    routes = doc["locals"][0]["routes"]
    text = (ROOT / "terraform/modules/pubsub/main.tf").read_text()
    topics = [t for t in WORK_TOPICS if not t.endswith("-requests")]
    for topic in topics:
        if f"'{topic}'" not in routes:
            problems.append(f"topic {topic} is missing")
    if 'phase-${i + 1}-requests' not in routes:
        problems.append("the phase-N-requests topics are missing")
    subscription = resources(doc, "google_pubsub_subscription")["push"]
    policy = subscription["dead_letter_policy"][0]
    if policy["max_delivery_attempts"] != "${var.max_delivery_attempts}":
        problems.append("push subscriptions must use max_delivery_attempts")
    if "oidc_token" not in subscription["push_config"][0]:
        problems.append("pushes must carry an OIDC token")
    if "dead-letter" not in text:
        problems.append("no dead-letter topics")
    return problems


def check_database(doc):
    problems = []
    db = resources(doc, "google_sql_database_instance")["manga_db"]
    settings = db["settings"][0]
    backup = settings["backup_configuration"][0]
    ip = settings["ip_configuration"][0]
    expect = {
        "database_version": (db["database_version"], "POSTGRES_15"),
        "backups": (backup["enabled"], True),
        "backup start": (backup["start_time"], "03:00"),
        "point-in-time recovery": (backup["point_in_time_recovery_enabled"], True),
        "log retention days": (backup["transaction_log_retention_days"], 7),
        "backups kept": (backup["backup_retention_settings"][0]["retained_backups"], 30),
        "public IP": (ip["ipv4_enabled"], False),
        "SSL": (ip["ssl_mode"], "ENCRYPTED_ONLY"),
        "maintenance day": (settings["maintenance_window"][0]["day"], 7),
        "tier default": (variable_default(doc, "tier"), "db-standard-1"),
    }
    for what, (got, want) in expect.items():
        if got != want:
            problems.append(f"Cloud SQL {what} is {got!r}, the seeds say {want!r}")
    return problems


def check_redis(doc):
    redis = resources(doc, "google_redis_instance")["manga"]
    problems = []
    if redis["redis_version"] != "REDIS_7_0":
        problems.append("Redis must be 7.0")
    if redis["tier"] != "BASIC":
        problems.append("Redis tier must be BASIC")
    if variable_default(doc, "memory_size_gb") != 1:
        problems.append("Redis must default to 1 GB (seed 001 §4.2, the reduced size)")
    return problems


def check_triggers(doc):
    problems = []
    services = doc["locals"][0]["services"]
    trigger = resources(doc, "google_cloudbuild_trigger")["service"]
    included = trigger["included_files"]
    if sorted(services) != sorted(SERVICES):
        problems.append(f"triggers for {sorted(services)}, want one per service")
    for service, paths in services.items():
        others = [p for p in paths if isinstance(p, str) and p.startswith("services/")]
        if others:
            problems.append(f"{service}'s trigger watches other services: {others}")
    if "services/${each.key}/**" not in included:
        problems.append("a trigger must watch its own service directory")
    if trigger["filename"] != "cloudbuild/service.yaml":
        problems.append("triggers must run cloudbuild/service.yaml")
    return problems


# --- tests --------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_with_the_seeds_resources_scaling_and_network(service):
    doc = cloud_run(service)
    assert check_cloud_run(service, doc) == []
    assert check_cloud_run_limits(service, doc) == []


def test_there_is_one_cloud_run_file_per_service_and_no_other():
    files = sorted(p.stem for p in (ROOT / "deploy/cloudrun").glob("*.yaml"))
    assert files == sorted(SERVICES)
    for service in SERVICES:
        assert (ROOT / "services" / service / "Cargo.toml").exists(), f"{service} has no crate"


def test_only_the_orchestrator_holds_the_token_key():
    for service in SERVICES:
        env = {e["name"] for e in cloud_run(service)["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert ("SECRET_KEY" in env) == (service == "orchestrator"), service


def test_a_wrong_cpu_or_a_connector_is_caught():
    doc = copy.deepcopy(cloud_run("phase5-images"))
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1"
    doc["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/vpc-access-connector"] = "c"
    problems = check_cloud_run("phase5-images", doc)
    assert "phase5-images: cpu is '1', the seeds say '2'" in problems
    assert any("VPC connector" in p for p in problems)
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1.5"
    assert check_cloud_run_limits("phase5-images", doc) == [
        "phase5-images: 1.5 CPUs; above 1 Cloud Run takes 2, 4, 6 or 8"]


def test_an_unknown_environment_variable_is_caught():
    doc = copy.deepcopy(cloud_run("phase1-concept"))
    doc["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "REDIS_HOST", "value": "x"})
    assert "phase1-concept: sets variables the services never read: ['REDIS_HOST']" in check_cloud_run(
        "phase1-concept", doc)


def test_a_request_timeout_apart_from_cloud_runs_is_caught():
    doc = copy.deepcopy(cloud_run("phase5-images"))
    doc["spec"]["template"]["spec"]["timeoutSeconds"] = 300
    problems = check_cloud_run("phase5-images", doc)
    assert "phase5-images: REQUEST_TIMEOUT_SECONDS is '60', the seeds say '300'" in problems


def test_the_dockerfile_builds_any_service_in_stages_and_runs_it_as_non_root():
    text = (ROOT / "docker/Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
    assert len(stages) >= 3, "dependencies, build and runtime stages"
    final = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^ARG SERVICE$", text, re.M)
    assert '-p "$SERVICE"' in text and "--locked" in text
    assert re.search(r"^USER (?!root)\S+", final, re.M), "the runtime stage runs as a non-root user"
    assert "ENV PORT=8080" in final and "EXPOSE 8080" in final
    assert "ENTRYPOINT" in final
    assert not re.search(r"^(ADD|RUN)\s.*(curl|wget)\s", final, re.M), "nothing is downloaded at run time"


def test_buckets_have_the_seeds_roles_and_lifecycles():
    doc = terraform("modules/storage/main.tf")
    assert check_buckets(doc) == []
    broken = copy.deepcopy(doc)
    rules = broken["resource"][-1]["google_storage_bucket"]["temp_data"]["lifecycle_rule"]
    rules[0]["condition"][0]["age"] = 30
    assert check_buckets(broken) == ["bucket temp-data: lifecycle {30: 'Delete'}, the seeds say {7: 'Delete'}"]


def test_the_services_name_the_buckets_terraform_makes():
    source = (ROOT / "crates/blob/src/gcs.rs").read_text()
    roles = re.findall(r'Self::\w+ => "([a-z-]+)"', source)
    assert sorted(roles) == sorted(BUCKETS)
    assert terraform("modules/storage/main.tf")["locals"][0]["prefix"] == "${var.project_id}-manga-"


def test_every_work_topic_has_a_dead_letter_after_five_attempts_and_oidc_pushes():
    doc = terraform("modules/pubsub/main.tf")
    assert check_pubsub(doc) == []
    broken = copy.deepcopy(doc)
    for block in broken["variable"]:
        if "max_delivery_attempts" in block:
            block["max_delivery_attempts"]["default"] = 10
    assert check_pubsub(broken) == ["dead letters must come after 5 delivery attempts (seed 001 §5.3)"]


def test_the_terraform_topics_are_the_ones_the_bus_creates_on_the_emulator():
    topology = (ROOT / "crates/bus/src/pubsub/topology.rs").read_text()
    bus = (ROOT / "crates/bus/src/lib.rs").read_text()
    terraform_text = (ROOT / "terraform/modules/pubsub/main.tf").read_text()
    for subscription in ["phase-transition-handler", "hitl-feedback-processor", "session-cleanup-service",
                         "phase-progress-push"]:
        assert subscription in topology and subscription in terraform_text, subscription
    for topic in ["phase-completed", "hitl-feedback-topic", "phase-progress", "phase-5-panels", "phase-2-portraits"]:
        assert f'"{topic}"' in bus and f'"{topic}"' in terraform_text, topic
    assert "session-management-topic" in topology and "session-management-topic" in terraform_text
    assert '"{topic}-push"' in topology and "requests-push" in terraform_text
    assert "-dead-letter" in topology and '"${each.key}-dead-letter"' in terraform_text


def test_cloud_sql_is_private_encrypted_and_recoverable():
    assert check_database(terraform("modules/database/main.tf")) == []


def test_redis_is_the_reduced_basic_instance():
    assert check_redis(terraform("modules/redis/main.tf")) == []


def test_every_module_defaults_to_tokyo():
    for module in ["network", "database", "redis", "storage", "cicd"]:
        assert variable_default(terraform(f"modules/{module}/main.tf"), "region") == REGION, module
    for env in ["dev", "prod"]:
        assert variable_default(terraform(f"envs/{env}/main.tf"), "region") == REGION, env
    assert variable_default(terraform("modules/stack/main.tf"), "region") == REGION


def test_alerts_and_budgets_use_the_seeds_thresholds():
    doc = terraform("modules/monitoring/main.tf")
    assert variable_default(doc, "error_rate_threshold") == 0.05  # seed 000 §7.3
    assert variable_default(doc, "api_p99_seconds") == 1  # seed 000 §7.3
    assert variable_default(doc, "memory_utilization_threshold") == 0.85  # seed 000 §7.3
    assert variable_default(doc, "hitl_timeout_rate_threshold") == 0.3  # seed 001 §5.3
    policies = resources(doc, "google_monitoring_alert_policy")
    assert sorted(policies) == ["api_latency", "error_rate", "hitl_timeouts", "memory"]
    # The HITL alert reads counters the orchestrator really exports.
    metrics = (ROOT / "crates/orchestrator/src/metrics.rs").read_text()
    for name in ["hitl_reviews_total", "hitl_review_timeouts_total"]:
        assert name in metrics and name in policies["hitl_timeouts"]["conditions"][0][
            "condition_monitoring_query_language"][0]["query"]
    budgets = {}
    for env in ["dev", "prod"]:
        stack = terraform(f"envs/{env}/main.tf")["module"][0]["stack"]
        budgets[env] = (stack["monthly_budget_usd"], stack["budget_thresholds"])
    # Seed 002 コスト監視: production $800 alerting at 75/90/100 %, development $200 at 80/100 %.
    assert budgets == {"prod": (800, [0.75, 0.9, 1.0]), "dev": (200, [0.8, 1.0])}


def test_each_service_has_its_own_account_and_only_model_phases_read_model_keys():
    doc = terraform("modules/iam/main.tf")
    text = (ROOT / "terraform/modules/iam/main.tf").read_text()
    assert 'account_id   = "manga-${each.key}"' in text
    assert doc["locals"][0]["model_phases"] == "${slice(local.phases, 0, 5)}"
    assert "roles/owner" not in text and "roles/editor" not in text


def test_each_trigger_fires_only_on_its_own_service_and_the_shared_crates():
    doc = terraform("modules/cicd/main.tf")
    assert check_triggers(doc) == []
    broken = copy.deepcopy(doc)
    broken["locals"][0]["services"]["phase3-plot"] = ["services/phase4-name/**"]
    assert check_triggers(broken) == ["phase3-plot's trigger watches other services: ['services/phase4-name/**']"]


def test_the_build_tests_builds_and_rolls_out_blue_green_with_rollback_above_one_percent():
    build = yaml.safe_load((ROOT / "cloudbuild/service.yaml").read_text())
    ids = [s["id"] for s in build["steps"]]
    assert ids == ["test", "build", "push", "deploy-candidate", "rollout"]
    docker = build["steps"][1]["args"]
    assert docker[:3] == ["build", "-f", "docker/Dockerfile"] and "SERVICE=${_SERVICE}" in docker
    assert build["substitutions"]["_MAX_ERROR_RATE"] == "0.01"  # seed 001 §6.2: rollback if > 1 %
    rollout = (ROOT / "cloudbuild/rollout.sh").read_text()
    # Seed 001 §6.2: 10 % for 10 minutes, 50 % for 30 minutes, then 100 %.
    assert 'steps=("10:10" "50:30")' in rollout
    assert '--to-revisions "$old=100"' in rollout and '--to-revisions "$new=100"' in rollout
    for script in ["cloudbuild/rollout.sh", "cloudbuild/deploy-candidate.sh"]:
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
