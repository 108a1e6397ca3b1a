//! The SQL behind [`crate::Store`], written once for both backends.
//!
//! Postgres and SQLite (3.35+) share every statement used here: `$n`
//! placeholders, `ON CONFLICT`, `RETURNING`, `COALESCE`. Timestamps are bound
//! from Rust rather than `now()`, so both backends store the same values.
//! sqlx's types are per-database, so the shared body is a macro expanded
//! once per pool type rather than a generic with a page of trait bounds.

/// Implements [`crate::Store`] for a struct with a `pool: sqlx::Pool<DB>` field.
macro_rules! impl_store {
    ($store:ty) => {
        mod store_impl {
            use async_trait::async_trait;
            use manga_domain::{JobId, Version};
            use sqlx::types::Json;

            use crate::rows::{
                ArtifactRow, FeedbackRow, JobRow, MessageRow, PhaseRunRow, VersionRow, OutcomeColumns, job_uuid, now,
                phase_name, version_number,
            };
            use crate::{
                ArtifactRecord, FeedbackRecord, JobAdvance, JobRecord, LeaseHolder, MessageKey, NewFeedback, NewJob,
                PhaseRunKey, PhaseRunOutcome, PhaseRunRecord, PhaseRunStatus, ProcessedMessage, Recorded, Revision,
                RunClaim, Store, StoreError, UserId, VersionRecord,
            };

            fn missing_version(job: JobId, version: Version) -> StoreError {
                StoreError::NotFound { what: "version", id: format!("{job}/{version}") }
            }

            /// Turns "the version a row points to does not exist" into NotFound.
            fn or_missing_version(job: JobId, version: Version) -> impl FnOnce(StoreError) -> StoreError {
                move |e| if e.is_foreign_key_violation() { missing_version(job, version) } else { e }
            }

            impl $store {
                async fn find_job(&self, id: JobId) -> Result<Option<JobRecord>, StoreError> {
                    let row: Option<JobRow> =
                        sqlx::query_as(concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1"))
                            .bind(job_uuid(id)?)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(StoreError::db("reading a job"))?;
                    row.map(JobRecord::try_from).transpose()
                }

                /// Moves `holder`'s lease on a running run to `until` (`None`: ended now); false when it holds none.
                async fn set_lease(
                    &self,
                    key: PhaseRunKey,
                    holder: &LeaseHolder,
                    until: Option<chrono::DateTime<chrono::Utc>>,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE phase_runs SET lease_until = $1 WHERE job_id = $2 AND version = $3 AND phase = $4 \
                         AND attempt = $5 AND status = 'running' AND holder = $6",
                    )
                    .bind(until)
                    .bind(job_uuid(key.job)?)
                    .bind(version_number(key.version))
                    .bind(phase_name(key.phase))
                    .bind(i64::from(key.attempt))
                    .bind(holder.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::db("moving a phase run's lease"))?;
                    Ok(done.rows_affected() == 1)
                }

                async fn require_job(&self, id: JobId) -> Result<JobRecord, StoreError> {
                    self.find_job(id).await?.ok_or_else(|| StoreError::NotFound { what: "job", id: id.to_string() })
                }

                async fn find_run(&self, key: PhaseRunKey) -> Result<Option<PhaseRunRecord>, StoreError> {
                    let row: Option<PhaseRunRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        phase_run_columns!(),
                        " FROM phase_runs WHERE job_id = $1 AND version = $2 AND phase = $3 AND attempt = $4"
                    ))
                    .bind(job_uuid(key.job)?)
                    .bind(version_number(key.version))
                    .bind(phase_name(key.phase))
                    .bind(i64::from(key.attempt))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("reading a phase run"))?;
                    row.map(PhaseRunRecord::try_from).transpose()
                }
            }

            #[async_trait]
            impl Store for $store {
                async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query("SELECT 1").execute(&self.pool).await.map_err(StoreError::db("pinging the database"))?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = %job.id))]
                async fn create_job(&self, job: NewJob) -> Result<JobRecord, StoreError> {
                    let id = job_uuid(job.id)?;
                    let at = now();
                    // The job and its version 1 appear together or not at all.
                    let mut tx = self.pool.begin().await.map_err(StoreError::db("creating a job"))?;
                    let row: JobRow = sqlx::query_as(concat!(
                        "INSERT INTO jobs (id, user_id, state, current_version, mode, options, title, revision, \
                         created_at, updated_at, current_phase, machine) \
                         VALUES ($1, $2, $3, 1, $4, $5, $6, 1, $7, $7, $8, $9) RETURNING ",
                        job_columns!()
                    ))
                    .bind(id)
                    .bind(job.user.as_str())
                    .bind(if job.start.is_some() { crate::JobState::Running } else { crate::JobState::Pending }.as_str())
                    .bind(job.mode.as_str())
                    .bind(Json(&job.options))
                    .bind(&job.title)
                    .bind(at)
                    .bind(job.start.as_ref().map(|start| phase_name(start.phase)))
                    .bind(job.start.as_ref().map(|start| Json(&start.machine)))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::db("creating a job"))?;
                    sqlx::query("INSERT INTO versions (job_id, number, created_at) VALUES ($1, 1, $2)")
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("creating a job's first version"))?;
                    tx.commit().await.map_err(StoreError::db("creating a job"))?;
                    JobRecord::try_from(row)
                }

                async fn get_job(&self, id: JobId) -> Result<JobRecord, StoreError> {
                    self.require_job(id).await
                }

                async fn list_jobs(&self, user: &UserId, limit: u32) -> Result<Vec<JobRecord>, StoreError> {
                    let rows: Vec<JobRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        job_columns!(),
                        " FROM jobs WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
                    ))
                    .bind(user.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing jobs"))?;
                    rows.into_iter().map(JobRecord::try_from).collect()
                }

                async fn list_jobs_in_state(
                    &self,
                    state: crate::JobState,
                    updated_before: chrono::DateTime<chrono::Utc>,
                    limit: u32,
                ) -> Result<Vec<JobRecord>, StoreError> {
                    let rows: Vec<JobRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        job_columns!(),
                        " FROM jobs WHERE state = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3"
                    ))
                    .bind(state.as_str())
                    .bind(updated_before)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing jobs by state"))?;
                    rows.into_iter().map(JobRecord::try_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = %id, expected = %expected, to = %to.state))]
                async fn advance_job(
                    &self,
                    id: JobId,
                    expected: Revision,
                    to: JobAdvance,
                ) -> Result<JobRecord, StoreError> {
                    // Compare-and-set in one statement: under concurrency the
                    // second writer's WHERE sees the bumped revision and matches nothing.
                    let row: Option<JobRow> = sqlx::query_as(concat!(
                        "UPDATE jobs SET state = $1, current_phase = $2, \
                         current_version = COALESCE($3, current_version), machine = COALESCE($4, machine), \
                         title = COALESCE($8, title), \
                         revision = revision + 1, updated_at = $5 WHERE id = $6 AND revision = $7 RETURNING ",
                        job_columns!()
                    ))
                    .bind(to.state.as_str())
                    .bind(to.current_phase.map(phase_name))
                    .bind(to.current_version.map(version_number))
                    .bind(to.machine.as_ref().map(Json))
                    .bind(now())
                    .bind(job_uuid(id)?)
                    .bind(expected.get())
                    .bind(to.title.as_deref())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("advancing a job"))?;
                    match row {
                        Some(row) => JobRecord::try_from(row),
                        None => {
                            let current = self.require_job(id).await?;
                            Err(StoreError::Conflict { job: id, expected, actual: current.revision })
                        }
                    }
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = %id))]
                async fn fail_job(&self, id: JobId, reason: &str) -> Result<Recorded<JobRecord>, StoreError> {
                    let row: Option<JobRow> = sqlx::query_as(concat!(
                        "UPDATE jobs SET state = 'failed', error = $1, revision = revision + 1, updated_at = $2 \
                         WHERE id = $3 AND state NOT IN ('succeeded', 'failed', 'cancelled') RETURNING ",
                        job_columns!()
                    ))
                    .bind(reason)
                    .bind(now())
                    .bind(job_uuid(id)?)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("marking a job failed"))?;
                    match row {
                        Some(row) => Ok(Recorded::New(JobRecord::try_from(row)?)),
                        None => {
                            let current = self.require_job(id).await?;
                            Ok(Recorded::Unchanged(current))
                        }
                    }
                }

                async fn create_version(
                    &self,
                    job: JobId,
                    parent: Version,
                    note: Option<&str>,
                ) -> Result<VersionRecord, StoreError> {
                    let id = job_uuid(job)?;
                    let parent_exists: Option<i64> =
                        sqlx::query_scalar("SELECT number FROM versions WHERE job_id = $1 AND number = $2")
                            .bind(id)
                            .bind(version_number(parent))
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(StoreError::db("reading a version"))?;
                    if parent_exists.is_none() {
                        self.require_job(job).await?;
                        return Err(missing_version(job, parent));
                    }
                    // The next number is taken in the INSERT itself; two concurrent
                    // branches can pick the same one on Postgres, and the primary
                    // key sends the loser round again.
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        let row: Result<VersionRow, StoreError> = sqlx::query_as(
                            "INSERT INTO versions (job_id, number, parent, note, created_at) \
                             SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4 FROM versions WHERE job_id = $1 \
                             RETURNING job_id, number, parent, note, created_at",
                        )
                        .bind(id)
                        .bind(version_number(parent))
                        .bind(note)
                        .bind(now())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(StoreError::db("creating a version"));
                        match row {
                            Ok(row) => return VersionRecord::try_from(row),
                            Err(e) if e.is_unique_violation() && tries < 5 => continue,
                            Err(e) => return Err(e),
                        }
                    }
                }

                async fn list_versions(&self, job: JobId) -> Result<Vec<VersionRecord>, StoreError> {
                    let rows: Vec<VersionRow> = sqlx::query_as(
                        "SELECT job_id, number, parent, note, created_at FROM versions WHERE job_id = $1 ORDER BY number",
                    )
                    .bind(job_uuid(job)?)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing versions"))?;
                    if rows.is_empty() {
                        // Every job has version 1, so no versions means no job.
                        return Err(StoreError::NotFound { what: "job", id: job.to_string() });
                    }
                    rows.into_iter().map(VersionRecord::try_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(run = %key, holder = %holder))]
                async fn claim_phase_run(
                    &self,
                    key: PhaseRunKey,
                    holder: &LeaseHolder,
                    lease: std::time::Duration,
                ) -> Result<RunClaim, StoreError> {
                    let started_at = now();
                    let lease_until = started_at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                    // One statement decides: insert a new run, or take over a running one whose
                    // lease ran out (`excluded.started_at` is this claim's now). Of two racing
                    // claims the row lock lets one update; the other sees a live lease.
                    let row: Option<PhaseRunRow> = sqlx::query_as(concat!(
                        "INSERT INTO phase_runs (job_id, version, phase, attempt, status, reasons, outputs, started_at, \
                         holder, lease_until) VALUES ($1, $2, $3, $4, 'running', '[]', '[]', $5, $6, $7) \
                         ON CONFLICT (job_id, version, phase, attempt) DO UPDATE SET \
                         holder = excluded.holder, lease_until = excluded.lease_until \
                         WHERE phase_runs.status = 'running' \
                         AND (phase_runs.lease_until IS NULL OR phase_runs.lease_until < excluded.started_at) \
                         RETURNING ",
                        phase_run_columns!()
                    ))
                    .bind(job_uuid(key.job)?)
                    .bind(version_number(key.version))
                    .bind(phase_name(key.phase))
                    .bind(i64::from(key.attempt))
                    .bind(started_at)
                    .bind(holder.as_str())
                    .bind(lease_until)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("claiming a phase run"))
                    .map_err(or_missing_version(key.job, key.version))?;
                    if let Some(row) = row {
                        let run = PhaseRunRecord::try_from(row)?;
                        let took_over = run.started_at != started_at;
                        return Ok(RunClaim::Held { run, took_over });
                    }
                    let run = self.find_run(key).await?.ok_or_else(|| {
                        // Deleted between the two statements (its job was removed).
                        StoreError::NotFound { what: "phase run", id: key.to_string() }
                    })?;
                    Ok(if run.status == PhaseRunStatus::Running {
                        RunClaim::HeldElsewhere(run)
                    } else {
                        RunClaim::Finished(run)
                    })
                }

                async fn renew_phase_run(
                    &self,
                    key: PhaseRunKey,
                    holder: &LeaseHolder,
                    lease: std::time::Duration,
                ) -> Result<bool, StoreError> {
                    let lease_until = now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                    self.set_lease(key, holder, Some(lease_until)).await
                }

                async fn release_phase_run(&self, key: PhaseRunKey, holder: &LeaseHolder) -> Result<bool, StoreError> {
                    self.set_lease(key, holder, None).await
                }

                async fn release_every_lease(&self) -> Result<u64, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(StoreError::db("releasing every lease"))?;
                    sqlx::query("UPDATE phase_items SET holder = NULL, lease_until = NULL WHERE NOT done")
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("releasing every item's lease"))?;
                    let runs = sqlx::query(
                        "UPDATE phase_runs SET lease_until = NULL WHERE status = 'running' AND lease_until IS NOT NULL",
                    )
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("releasing every run's lease"))?;
                    tx.commit().await.map_err(StoreError::db("releasing every lease"))?;
                    Ok(runs.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(run = %key, status = outcome.status().as_str()))]
                async fn finish_phase_run(
                    &self,
                    key: PhaseRunKey,
                    outcome: PhaseRunOutcome,
                ) -> Result<Recorded<PhaseRunRecord>, StoreError> {
                    let not_found = || StoreError::NotFound { what: "phase run", id: key.to_string() };
                    let existing = self.find_run(key).await?.ok_or_else(not_found)?;
                    if existing.status != PhaseRunStatus::Running {
                        return Ok(Recorded::Unchanged(existing));
                    }
                    let finished_at = now();
                    let duration_ms = (finished_at - existing.started_at).num_milliseconds().max(0);
                    let columns = OutcomeColumns::from(&outcome);
                    // `status = 'running'` makes the first of two racing finishes the only one.
                    let row: Option<PhaseRunRow> = sqlx::query_as(concat!(
                        "UPDATE phase_runs SET status = $1, quality = $2, reasons = $3, outputs = $4, error = $5, \
                         finished_at = $6, duration_ms = $7 \
                         WHERE job_id = $8 AND version = $9 AND phase = $10 AND attempt = $11 AND status = 'running' \
                         RETURNING ",
                        phase_run_columns!()
                    ))
                    .bind(outcome.status().as_str())
                    .bind(columns.quality)
                    .bind(columns.reasons)
                    .bind(columns.outputs)
                    .bind(columns.error)
                    .bind(finished_at)
                    .bind(duration_ms)
                    .bind(job_uuid(key.job)?)
                    .bind(version_number(key.version))
                    .bind(phase_name(key.phase))
                    .bind(i64::from(key.attempt))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("finishing a phase run"))?;
                    match row {
                        Some(row) => Ok(Recorded::New(PhaseRunRecord::try_from(row)?)),
                        None => Ok(Recorded::Unchanged(self.find_run(key).await?.ok_or_else(not_found)?)),
                    }
                }

                async fn get_phase_run(&self, key: PhaseRunKey) -> Result<Option<PhaseRunRecord>, StoreError> {
                    self.find_run(key).await
                }

                async fn list_phase_runs(
                    &self,
                    job: JobId,
                    version: Version,
                ) -> Result<Vec<PhaseRunRecord>, StoreError> {
                    let rows: Vec<PhaseRunRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        phase_run_columns!(),
                        " FROM phase_runs WHERE job_id = $1 AND version = $2 ORDER BY started_at, phase, attempt"
                    ))
                    .bind(job_uuid(job)?)
                    .bind(version_number(version))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing phase runs"))?;
                    rows.into_iter().map(PhaseRunRecord::try_from).collect()
                }

                async fn record_artifact(&self, artifact: &ArtifactRecord) -> Result<(), StoreError> {
                    let size = i64::try_from(artifact.size)
                        .map_err(|_| StoreError::corrupt("artifact size", artifact.size))?;
                    sqlx::query(
                        "INSERT INTO artifacts (job_id, version, key, content_type, size, sha256, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, version, key) DO UPDATE SET \
                         content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, \
                         created_at = excluded.created_at",
                    )
                    .bind(job_uuid(artifact.job)?)
                    .bind(version_number(artifact.version))
                    .bind(artifact.key.as_str())
                    .bind(&artifact.content_type)
                    .bind(size)
                    .bind(&artifact.sha256)
                    .bind(now())
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::db("recording an artifact"))
                    .map_err(or_missing_version(artifact.job, artifact.version))?;
                    Ok(())
                }

                async fn list_artifacts(&self, job: JobId, version: Version) -> Result<Vec<ArtifactRecord>, StoreError> {
                    let rows: Vec<ArtifactRow> = sqlx::query_as(
                        "SELECT job_id, version, key, content_type, size, sha256 FROM artifacts \
                         WHERE job_id = $1 AND version = $2 ORDER BY key",
                    )
                    .bind(job_uuid(job)?)
                    .bind(version_number(version))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing artifacts"))?;
                    rows.into_iter().map(ArtifactRecord::try_from).collect()
                }

                async fn record_feedback(&self, feedback: NewFeedback) -> Result<FeedbackRecord, StoreError> {
                    let row: FeedbackRow = sqlx::query_as(
                        "INSERT INTO feedback (job_id, version, phase, action, user_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         RETURNING id, job_id, version, phase, action, user_id, created_at",
                    )
                    .bind(job_uuid(feedback.job)?)
                    .bind(version_number(feedback.version))
                    .bind(phase_name(feedback.phase))
                    .bind(Json(&feedback.action))
                    .bind(feedback.user.as_str())
                    .bind(now())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::db("recording feedback"))
                    .map_err(or_missing_version(feedback.job, feedback.version))?;
                    FeedbackRecord::try_from(row)
                }

                async fn list_feedback(&self, job: JobId) -> Result<Vec<FeedbackRecord>, StoreError> {
                    let rows: Vec<FeedbackRow> = sqlx::query_as(
                        "SELECT id, job_id, version, phase, action, user_id, created_at FROM feedback \
                         WHERE job_id = $1 ORDER BY id",
                    )
                    .bind(job_uuid(job)?)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("listing feedback"))?;
                    rows.into_iter().map(FeedbackRecord::try_from).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(key = %key, message_id))]
                async fn record_poison(&self, message_id: &str, key: &MessageKey, reason: &str) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO processed_messages (key, message_id, outcome, reason, processed_at) \
                         VALUES ($1, $2, 'poison', $3, $4) ON CONFLICT (key) DO UPDATE SET \
                         message_id = excluded.message_id, outcome = 'poison', reason = excluded.reason, \
                         processed_at = excluded.processed_at WHERE processed_messages.outcome <> 'poison'",
                    )
                    .bind(key.as_str())
                    .bind(message_id)
                    .bind(reason)
                    .bind(now())
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::db("recording a poison message"))?;
                    Ok(())
                }

                async fn processed_message(&self, key: &MessageKey) -> Result<Option<ProcessedMessage>, StoreError> {
                    let row: Option<MessageRow> = sqlx::query_as(
                        "SELECT key, message_id, outcome, reason, processed_at FROM processed_messages WHERE key = $1",
                    )
                    .bind(key.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("reading a processed message"))?;
                    row.map(ProcessedMessage::try_from).transpose()
                }
            }
        }
    };
}
