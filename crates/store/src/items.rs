//! A phase run spread over many messages, one per item (phase 5: one per
//! panel), so no push request does more than one item's model work.
//!
//! The run's holder plans its items ([`WorkItems::plan_items`]); each item is
//! then claimed by one delivery under a lease, as a run is, and finished once.
//! Finishing an item and counting down the run's `items_left` happen in one
//! transaction, so of any number of deliveries exactly one sees the count
//! reach zero. Work on an item also keeps the run's own lease alive, so the
//! stall sweep leaves a run alone while its items move.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{LeaseHolder, PhaseRunKey, StoreError};

/// What one delivery's claim on an item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemClaim {
    /// The delivery holds the item now, under a fresh lease.
    Held,
    /// Another delivery holds it under a live lease, until then.
    HeldElsewhere(DateTime<Utc>),
    /// It is done: the delivery is a duplicate.
    Done,
}

/// How far a run's items have come, as one finishing delivery saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemsLeft {
    /// Items not done yet; zero for exactly one finishing delivery.
    pub left: u32,
    /// Items planned for the run.
    pub total: u32,
}

/// Items of a phase run: planned, claimed, finished.
#[async_trait]
pub trait WorkItems: Send + Sync {
    /// Adds `items` to a running run (items already there keep their state)
    /// and sets its `items_left` to the items not done. Returns that count.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the run was never claimed or has finished.
    async fn plan_items(&self, run: PhaseRunKey, items: &[String]) -> Result<u32, StoreError>;

    /// Records that every planned item's message went out (`items_sent` on the
    /// run). Until then a delivery of the run cannot tell a holder still
    /// sending from one that died mid-send, and sends the undone items itself.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn items_sent(&self, run: PhaseRunKey) -> Result<(), StoreError>;

    /// The run's items not done yet, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn undone_items(&self, run: PhaseRunKey) -> Result<Vec<String>, StoreError>;

    /// Claims an item for one delivery: held by `holder` until `lease` from
    /// now when it is not done and nobody holds it under a live lease.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the run has no such item.
    async fn claim_item(
        &self,
        run: PhaseRunKey,
        item: &str,
        holder: &LeaseHolder,
        lease: std::time::Duration,
    ) -> Result<ItemClaim, StoreError>;

    /// Extends `holder`'s lease on an item (a heartbeat), and the run's with it.
    /// False when the item is done or another holder took it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn renew_item(
        &self,
        run: PhaseRunKey,
        item: &str,
        holder: &LeaseHolder,
        lease: std::time::Duration,
    ) -> Result<bool, StoreError>;

    /// Ends `holder`'s lease on an item at once (a transient failure), so the
    /// redelivery takes it without waiting. False when `holder` held none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn release_item(&self, run: PhaseRunKey, item: &str, holder: &LeaseHolder) -> Result<bool, StoreError>;

    /// Marks an item done and counts the run down, in one transaction.
    /// `None` when the item was done already (a duplicate changes nothing).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the run has no such item.
    async fn finish_item(&self, run: PhaseRunKey, item: &str) -> Result<Option<ItemsLeft>, StoreError>;
}

/// Binds a run's key (job, version, phase, attempt) as the query's next four parameters.
macro_rules! bind_run {
    ($query:expr, $run:expr) => {
        $query
            .bind(job_uuid($run.job)?)
            .bind(version_number($run.version))
            .bind(phase_name($run.phase))
            .bind(i64::from($run.attempt))
    };
}

/// Implements [`WorkItems`] for a struct with a `pool: sqlx::Pool<DB>` field.
macro_rules! impl_work_items {
    ($store:ty) => {
        mod work_items_impl {
            use async_trait::async_trait;

            use crate::rows::{job_uuid, now, phase_name, version_number};
            use crate::{ItemClaim, ItemsLeft, LeaseHolder, PhaseRunKey, StoreError, WorkItems};

            fn until(lease: std::time::Duration) -> chrono::DateTime<chrono::Utc> {
                now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX)
            }

            fn missing_item(run: PhaseRunKey, item: &str) -> StoreError {
                StoreError::NotFound { what: "phase item", id: format!("{run}/{item}") }
            }

            fn count(n: i64, what: &'static str) -> Result<u32, StoreError> {
                u32::try_from(n).map_err(|e| StoreError::corrupt(what, e))
            }

            impl $store {
                /// Moves the run's lease on to `until` unless it already reaches further:
                /// the run stays held while any of its items is.
                async fn keep_run_held(
                    &self,
                    run: PhaseRunKey,
                    until: chrono::DateTime<chrono::Utc>,
                ) -> Result<(), StoreError> {
                    let query = sqlx::query(
                        "UPDATE phase_runs SET lease_until = $1 WHERE job_id = $2 AND version = $3 AND phase = $4 \
                         AND attempt = $5 AND status = 'running' AND (lease_until IS NULL OR lease_until < $1)",
                    )
                    .bind(until);
                    bind_run!(query, run)
                        .execute(&self.pool)
                        .await
                        .map_err(StoreError::db("keeping a phase run held by its items"))?;
                    Ok(())
                }

                async fn item_state(
                    &self,
                    run: PhaseRunKey,
                    item: &str,
                ) -> Result<Option<(bool, Option<chrono::DateTime<chrono::Utc>>)>, StoreError> {
                    let query = sqlx::query_as(
                        "SELECT done, lease_until FROM phase_items WHERE job_id = $1 AND version = $2 \
                         AND phase = $3 AND attempt = $4 AND item = $5",
                    );
                    bind_run!(query, run)
                        .bind(item)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(StoreError::db("reading a phase item"))
                }

                /// Moves `holder`'s lease on an item not done to `until` (`None`: ended now).
                async fn set_item_lease(
                    &self,
                    run: PhaseRunKey,
                    item: &str,
                    holder: &LeaseHolder,
                    until: Option<chrono::DateTime<chrono::Utc>>,
                ) -> Result<bool, StoreError> {
                    let query = sqlx::query(
                        "UPDATE phase_items SET lease_until = $1 WHERE job_id = $2 AND version = $3 AND phase = $4 \
                         AND attempt = $5 AND item = $6 AND holder = $7 AND NOT done",
                    )
                    .bind(until);
                    let done = bind_run!(query, run)
                        .bind(item)
                        .bind(holder.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(StoreError::db("moving a phase item's lease"))?;
                    Ok(done.rows_affected() == 1)
                }
            }

            #[async_trait]
            impl WorkItems for $store {
                async fn plan_items(&self, run: PhaseRunKey, items: &[String]) -> Result<u32, StoreError> {
                    let not_running = || StoreError::NotFound { what: "running phase run", id: run.to_string() };
                    let mut tx = self.pool.begin().await.map_err(StoreError::db("planning phase items"))?;
                    // Items first, then the run: the order `finish_item` takes its locks in.
                    for item in items {
                        let query = sqlx::query(
                            "INSERT INTO phase_items (job_id, version, phase, attempt, item) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        );
                        bind_run!(query, run)
                            .bind(item)
                            .execute(&mut *tx)
                            .await
                            .map_err(StoreError::db("planning phase items"))
                            .map_err(|e| if e.is_foreign_key_violation() { not_running() } else { e })?;
                    }
                    let query = sqlx::query_as(
                        "UPDATE phase_runs SET items_left = (SELECT COUNT(*) FROM phase_items i \
                         WHERE i.job_id = $1 AND i.version = $2 AND i.phase = $3 AND i.attempt = $4 AND NOT i.done) \
                         WHERE job_id = $1 AND version = $2 AND phase = $3 AND attempt = $4 AND status = 'running' \
                         RETURNING items_left",
                    );
                    let left: Option<(Option<i64>,)> = bind_run!(query, run)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StoreError::db("counting phase items"))?;
                    let left = left.ok_or_else(not_running)?.0.unwrap_or_default();
                    tx.commit().await.map_err(StoreError::db("planning phase items"))?;
                    count(left, "phase run items left")
                }

                async fn items_sent(&self, run: PhaseRunKey) -> Result<(), StoreError> {
                    let query = sqlx::query(
                        "UPDATE phase_runs SET items_sent = TRUE WHERE job_id = $1 AND version = $2 AND phase = $3 \
                         AND attempt = $4",
                    );
                    bind_run!(query, run)
                        .execute(&self.pool)
                        .await
                        .map_err(StoreError::db("recording a phase run's items as sent"))?;
                    Ok(())
                }

                async fn undone_items(&self, run: PhaseRunKey) -> Result<Vec<String>, StoreError> {
                    let query = sqlx::query_scalar(
                        "SELECT item FROM phase_items WHERE job_id = $1 AND version = $2 AND phase = $3 \
                         AND attempt = $4 AND NOT done ORDER BY item",
                    );
                    bind_run!(query, run)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(StoreError::db("reading a phase run's undone items"))
                }

                async fn claim_item(
                    &self,
                    run: PhaseRunKey,
                    item: &str,
                    holder: &LeaseHolder,
                    lease: std::time::Duration,
                ) -> Result<ItemClaim, StoreError> {
                    let (claimed_at, until) = (now(), until(lease));
                    // One statement decides, as for a run: of two racing claims one updates.
                    let query = sqlx::query(
                        "UPDATE phase_items SET holder = $1, lease_until = $2 WHERE job_id = $3 AND version = $4 \
                         AND phase = $5 AND attempt = $6 AND item = $7 AND NOT done \
                         AND (lease_until IS NULL OR lease_until < $8)",
                    )
                    .bind(holder.as_str())
                    .bind(until);
                    let taken = bind_run!(query, run)
                        .bind(item)
                        .bind(claimed_at)
                        .execute(&self.pool)
                        .await
                        .map_err(StoreError::db("claiming a phase item"))?;
                    if taken.rows_affected() == 1 {
                        self.keep_run_held(run, until).await?;
                        return Ok(ItemClaim::Held);
                    }
                    match self.item_state(run, item).await? {
                        None => Err(missing_item(run, item)),
                        Some((true, _)) => Ok(ItemClaim::Done),
                        // Taken between the two statements and released since: held elsewhere till now.
                        Some((false, lease_until)) => Ok(ItemClaim::HeldElsewhere(lease_until.unwrap_or(claimed_at))),
                    }
                }

                async fn renew_item(
                    &self,
                    run: PhaseRunKey,
                    item: &str,
                    holder: &LeaseHolder,
                    lease: std::time::Duration,
                ) -> Result<bool, StoreError> {
                    let until = until(lease);
                    let renewed = self.set_item_lease(run, item, holder, Some(until)).await?;
                    if renewed {
                        self.keep_run_held(run, until).await?;
                    }
                    Ok(renewed)
                }

                async fn release_item(
                    &self,
                    run: PhaseRunKey,
                    item: &str,
                    holder: &LeaseHolder,
                ) -> Result<bool, StoreError> {
                    self.set_item_lease(run, item, holder, None).await
                }

                async fn finish_item(&self, run: PhaseRunKey, item: &str) -> Result<Option<ItemsLeft>, StoreError> {
                    let mut tx = self.pool.begin().await.map_err(StoreError::db("finishing a phase item"))?;
                    let query = sqlx::query(
                        "UPDATE phase_items SET done = TRUE, holder = NULL, lease_until = NULL WHERE job_id = $1 \
                         AND version = $2 AND phase = $3 AND attempt = $4 AND item = $5 AND NOT done",
                    );
                    let finished = bind_run!(query, run)
                        .bind(item)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("finishing a phase item"))?;
                    if finished.rows_affected() == 0 {
                        drop(tx);
                        return match self.item_state(run, item).await? {
                            None => Err(missing_item(run, item)),
                            Some(_) => Ok(None),
                        };
                    }
                    // The run's row lock orders finishing deliveries: each sees the count the one before left.
                    let query = sqlx::query_as(
                        "UPDATE phase_runs SET items_left = items_left - 1 WHERE job_id = $1 AND version = $2 \
                         AND phase = $3 AND attempt = $4 RETURNING items_left, (SELECT COUNT(*) FROM phase_items i \
                         WHERE i.job_id = $1 AND i.version = $2 AND i.phase = $3 AND i.attempt = $4)",
                    );
                    let counts: (Option<i64>, i64) = bind_run!(query, run)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(StoreError::db("counting a phase run's items down"))?;
                    tx.commit().await.map_err(StoreError::db("finishing a phase item"))?;
                    let left = counts.0.ok_or_else(|| StoreError::corrupt("phase run items left", "never planned"))?;
                    Ok(Some(ItemsLeft {
                        left: count(left, "phase run items left")?,
                        total: count(counts.1, "phase run items")?,
                    }))
                }
            }
        }
    };
}
