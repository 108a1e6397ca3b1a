//! A phase as a fleet service: the push handler behind `POST /pubsub/push`.
//!
//! Pub/Sub delivers at least once, so work is keyed by (job, version, phase,
//! attempt). A delivery claims the run in one statement
//! ([`Store::claim_phase_run`]) under a lease of `WORK_LEASE_SECONDS`, which a
//! heartbeat renews every quarter lease while the phase runs. A duplicate of
//! finished work sends the kept result again; a duplicate of work held under a
//! live lease waits a while for it (the holder may have died) and is then
//! asked to come back later (503); a run whose lease ran out
//! (its instance died, as with SIGKILL, or stalled) is taken over, and the
//! old holder, should it wake, finds its lease gone and drops its outcome.
//! A transient failure, or a request cut short, releases the lease at once so
//! the redelivery runs without waiting. Outputs are deterministic, so a
//! second run writes the same artifacts.
//!
//! Phases 2 and 5 spread a run over one message per item ([`item_topic`]):
//! the run's own request plans the items and sends them, each item is drawn
//! under a lease of its own, and the delivery that finishes the last one
//! assembles the phase and sends its result. The same handler serves the
//! fleet's pushes and, fed from the in-memory bus, `manga serve`.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use manga_bus::{BusMessage, topics};
use manga_domain::{ArtifactKey, PhaseId};
use manga_proto::{PhaseAddress, PhaseRequest, PhaseResult, PhaseStatus, ProgressKind};
use manga_runtime::{HandlerError, PushHandler, PushMessage};
use manga_store::{ItemClaim, ItemsLeft, LeaseHolder, MessageKey, PhaseRunKey, PhaseRunOutcome, RunClaim, Store};
use prost::Message;

use crate::handler::handle;
use crate::{PhaseContext, Progress};

#[cfg(feature = "fleet")]
mod fleet;
#[cfg(feature = "fleet")]
pub use fleet::{DEFAULT_BLOB_ROOT, ServiceError, connect};

/// One phase's push handler.
pub struct PhaseService {
    phase: PhaseId,
    ctx: PhaseContext,
    store: Arc<dyn Store>,
    lease: std::time::Duration,
    /// How long a delivery may wait for another's lease: what its request has left for
    /// waiting once the longest model call is set aside ([`work_budget`]); `None`: a lease.
    work_budget: Option<std::time::Duration>,
    metrics: PhaseMetrics,
    /// The model calls' collectors, on the same /metrics.
    ai_metrics: Arc<manga_ai::remote::metrics::AiMetrics>,
    /// `SIMULATED_AI_SCALE`'s wait before each run (benchmarks only).
    simulated_ai: Option<std::time::Duration>,
}

/// Per-phase duration and outcome, on the service's /metrics.
#[derive(Clone)]
struct PhaseMetrics {
    runs: prometheus::IntCounterVec,
    seconds: prometheus::HistogramVec,
}

impl PhaseMetrics {
    fn new() -> Self {
        let runs = prometheus::IntCounterVec::new(
            prometheus::Opts::new("phase_runs_total", "Phase runs by phase and outcome"),
            &["phase", "outcome"],
        );
        let seconds = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new("phase_duration_seconds", "Phase run wall time")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]),
            &["phase", "outcome"],
        );
        // Both are built from constant, valid options; failure here is a programming error caught by the tests.
        Self { runs: runs.expect("valid counter"), seconds: seconds.expect("valid histogram") }
    }

    fn observe(&self, phase: PhaseId, outcome: &str, seconds: f64) {
        self.runs.with_label_values(&[phase.name(), outcome]).inc();
        self.seconds.with_label_values(&[phase.name(), outcome]).observe(seconds);
    }
}

impl PhaseService {
    /// A handler over given parts (tests).
    pub fn new(phase: PhaseId, ctx: PhaseContext, store: Arc<dyn Store>, lease: std::time::Duration) -> Self {
        let ai_metrics = Arc::new(manga_ai::remote::metrics::AiMetrics::new());
        Self {
            phase,
            ctx,
            store,
            lease,
            work_budget: None,
            metrics: PhaseMetrics::new(),
            ai_metrics,
            simulated_ai: None,
        }
    }

    async fn poison(&self, message: &PushMessage, reason: String) -> HandlerError {
        let key = MessageKey::undecodable(&message.message_id);
        if let Err(e) = self.store.record_poison(&message.message_id, &key, &reason).await {
            tracing::error!(error = %e, "poison message not recorded");
        }
        HandlerError::Permanent(reason)
    }

    /// Claims the run for this delivery; an error (redeliver later) while another delivery holds it.
    async fn claim(&self, run: PhaseRunKey) -> Result<RunTurn, HandlerError> {
        let holder = LeaseHolder::new();
        let patience = self.patience();
        loop {
            let busy_until = match self.store.claim_phase_run(run, &holder, self.lease).await.map_err(transient)? {
                RunClaim::Held { took_over, .. } => {
                    if took_over {
                        // Its lease ran out (an instance died or stalled) or was released (a transient
                        // failure or a cut request).
                        tracing::info!(job_id = %run.job, phase = run.phase.name(), attempt = run.attempt,
                            "taking over a run no longer held");
                    }
                    return Ok(RunTurn::Work(holder));
                }
                RunClaim::Finished(_) => return Ok(RunTurn::Finished),
                // Its items keep it held while they are drawn, however long that takes: waiting would
                // spend this delivery's tries and dead-letter a job that is moving. Should its items all
                // stop, the lease runs out and the stall sweep sends the request again.
                RunClaim::HeldElsewhere(other) if other.items_sent => return Ok(RunTurn::WithItsItems),
                // Planned but not all sent: the holder may have died mid-send, and nothing else would
                // ever send the rest.
                RunClaim::HeldElsewhere(other) if other.items_left.is_some() => return Ok(RunTurn::ItemsUnsent),
                RunClaim::HeldElsewhere(other) => other.lease_until,
            };
            patience.wait(busy_until, || format!("{} attempt {} is running elsewhere", run.phase, run.attempt)).await?;
        }
    }

    /// Claims one item of a run: `Ok(Some(holder))` to draw it, `Ok(None)` when it is done.
    async fn claim_item(&self, run: PhaseRunKey, item: &str) -> Result<Option<LeaseHolder>, HandlerError> {
        let holder = LeaseHolder::new();
        let patience = self.patience();
        loop {
            let busy_until = match self.store.claim_item(run, item, &holder, self.lease).await.map_err(transient)? {
                ItemClaim::Held => return Ok(Some(holder)),
                ItemClaim::Done => return Ok(None),
                ItemClaim::HeldElsewhere(until) => Some(until),
            };
            let busy = || format!("{item} of {} attempt {} is being drawn elsewhere", run.phase, run.attempt);
            patience.wait(busy_until, busy).await?;
        }
    }

    /// How long a delivery waits for another's lease: half what its request has to spare
    /// ([`work_budget`]), or a lease.
    fn patience(&self) -> Patience {
        let patience = self.work_budget.map_or(self.lease, |budget| budget / 2);
        Patience { give_up: tokio::time::Instant::now() + patience }
    }

    /// Runs `work` while renewing the lease every quarter lease. `None` when the lease
    /// was lost to a takeover: the new holder's outcome counts, not this one's.
    async fn holding<T>(&self, leased: &Leased, holder: &LeaseHolder, work: impl Future<Output = T>) -> Option<T> {
        let heartbeat = async {
            let mut beat = tokio::time::interval(self.lease / 4);
            beat.tick().await;
            loop {
                beat.tick().await;
                match leased.renew(self.store.as_ref(), holder, self.lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    // An outage shorter than the lease costs nothing; a longer one ends in a takeover.
                    Err(e) => tracing::warn!(lease = %leased, error = %e, "lease not renewed; trying again"),
                }
            }
        };
        tokio::select! {
            out = work => Some(out),
            () = heartbeat => None,
        }
    }
}

/// What a delivery of a whole run is to do.
enum RunTurn {
    /// Run it: this delivery holds it now.
    Work(LeaseHolder),
    /// It has finished: send its kept result again.
    Finished,
    /// Its items are being drawn, and the last one drawn finishes it: nothing to do.
    WithItsItems,
    /// Its items were planned by another delivery that has not said they were all sent.
    ItemsUnsent,
}

/// A delivery waiting for another's lease. Pub/Sub gives a message five deliveries, and the
/// emulator redelivers about every second: answered at once, a crash's redeliveries would all
/// be spent before the dead holder's lease ends, and the job dead-lettered.
struct Patience {
    give_up: tokio::time::Instant,
}

impl Patience {
    /// Waits until the other lease ends (at least every second, in case it finishes first), or
    /// fails with `busy()` once patience is spent, so Pub/Sub delivers again later.
    async fn wait(
        &self,
        lease_until: Option<chrono::DateTime<chrono::Utc>>,
        busy: impl FnOnce() -> String,
    ) -> Result<(), HandlerError> {
        let now = tokio::time::Instant::now();
        if now >= self.give_up {
            return Err(HandlerError::Transient(busy()));
        }
        let lease_left = lease_until.and_then(|until| (until - chrono::Utc::now()).to_std().ok()).unwrap_or_default();
        let wait = lease_left.clamp(std::time::Duration::from_millis(50), std::time::Duration::from_secs(1));
        tokio::time::sleep(wait.min(self.give_up - now)).await;
        Ok(())
    }
}

/// What a delivery holds a lease on: a whole run, or one item of it.
#[derive(Clone)]
enum Leased {
    Run(PhaseRunKey),
    Item(PhaseRunKey, String),
}

impl Leased {
    async fn renew(
        &self,
        store: &dyn Store,
        holder: &LeaseHolder,
        lease: std::time::Duration,
    ) -> Result<bool, manga_store::StoreError> {
        match self {
            Self::Run(run) => store.renew_phase_run(*run, holder, lease).await,
            Self::Item(run, item) => store.renew_item(*run, item, holder, lease).await,
        }
    }

    async fn release(&self, store: &dyn Store, holder: &LeaseHolder) -> Result<bool, manga_store::StoreError> {
        match self {
            Self::Run(run) => store.release_phase_run(*run, holder).await,
            Self::Item(run, item) => store.release_item(*run, item, holder).await,
        }
    }
}

impl std::fmt::Display for Leased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Run(run) => write!(f, "{run}"),
            Self::Item(run, item) => write!(f, "{run}/{item}"),
        }
    }
}

/// Releases a lease when the handler is dropped before it finished the work (a request cut
/// at its timeout, a shutdown), so the redelivery need not wait for the lease to run out.
struct LeaseGuard {
    store: Arc<dyn Store>,
    leased: Leased,
    holder: Option<LeaseHolder>,
}

impl LeaseGuard {
    /// Releases the lease now (a transient failure: the redelivery should run at once).
    async fn release(mut self) -> Result<(), HandlerError> {
        if let Some(holder) = self.holder.take() {
            self.leased.release(self.store.as_ref(), &holder).await.map_err(transient)?;
        }
        Ok(())
    }

    /// The work is finished, or handed on: nothing to release.
    fn disarm(mut self) {
        self.holder = None;
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        let (Some(holder), Ok(runtime)) = (self.holder.take(), tokio::runtime::Handle::try_current()) else { return };
        let (store, leased) = (self.store.clone(), self.leased.clone());
        runtime.spawn(async move {
            if let Err(e) = leased.release(store.as_ref(), &holder).await {
                tracing::warn!(lease = %leased, error = %e, "lease of a cut request not released; it runs out");
            }
        });
    }
}

impl PhaseService {
    async fn publish(&self, result: &PhaseResult, at: PhaseAddress) -> Result<(), HandlerError> {
        let mut reply = crate::handler::result_message(result, at);
        manga_runtime::telemetry::inject_current(&mut reply.attributes);
        self.ctx
            .bus
            .publish(topics::PHASE_COMPLETED, reply)
            .await
            .map(drop)
            .map_err(|e| HandlerError::Transient(e.to_string()))
    }

    /// Keeps a run's result, records how the run ended and sends the result, once: of two
    /// deliveries concluding the same run only the one whose outcome is recorded first sends.
    async fn conclude(&self, run: PhaseRunKey, at: PhaseAddress, result: PhaseResult) -> Result<(), HandlerError> {
        let outcome = if result.status() == PhaseStatus::Succeeded {
            PhaseRunOutcome::Succeeded { report: result.quality_report(), outputs: result.output_keys() }
        } else {
            PhaseRunOutcome::Failed { error: result.error.clone() }
        };
        // Kept before the run is marked finished: from then on a redelivery sends this copy.
        let kept = ArtifactKey::phase_result(at.job, at.version, at.phase, at.attempt);
        let encoded = Bytes::from(result.encode_to_vec());
        self.ctx
            .blob
            .put(&kept, encoded, "application/x-protobuf")
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        if self.store.finish_phase_run(run, outcome).await.map_err(transient)?.is_new() {
            self.publish(&result, at).await?;
        }
        Ok(())
    }

    /// Sends one message per item still to do (a portrait, a panel) on the phase's item topic,
    /// after recording them as the run's items.
    async fn fan_out(
        &self,
        message: &PushMessage,
        request: &PhaseRequest,
        at: PhaseAddress,
        run: PhaseRunKey,
        topic: &str,
        items: &[String],
    ) -> Result<(), HandlerError> {
        let left = self.store.plan_items(run, items).await.map_err(transient)?;
        self.send_items(message, request, run, topic, items).await?;
        tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt, items = items.len(),
            "items sent to be drawn, one message each");
        Progress::new(self.ctx.bus.clone(), at)
            .send(
                ProgressKind::PhaseStarted,
                0,
                left as usize,
                format!("{left} {} to draw", item_noun(self.phase, left)),
            )
            .await;
        Ok(())
    }

    /// Sends one message per item on `topic`, then records the run's items as sent. A send
    /// that fails fails the delivery: its redelivery sends what is still undone again; an item
    /// sent twice is drawn once.
    async fn send_items(
        &self,
        message: &PushMessage,
        request: &PhaseRequest,
        run: PhaseRunKey,
        topic: &str,
        items: &[String],
    ) -> Result<(), HandlerError> {
        let mut sends = Vec::with_capacity(items.len());
        for item in items {
            // The whole request's scope goes along: the last item drawn assembles the phase as it was asked
            // for (a redraw of one panel keeps every other panel as it was).
            let one = PhaseRequest { item: item.clone(), ..request.clone() };
            let mut out = BusMessage::new(one.encode_to_vec());
            out.attributes = message.attributes.clone();
            out.attributes.insert("item".into(), item.clone());
            sends.push(self.ctx.bus.publish(topic, out));
        }
        futures_util::future::try_join_all(sends).await.map_err(|e| HandlerError::Transient(e.to_string()))?;
        self.store.items_sent(run).await.map_err(transient)
    }

    /// One item of a run (a portrait, a panel): draw it once, and the delivery that finishes the
    /// run's last item assembles the phase's output and sends its result.
    async fn handle_item(
        &self,
        message: &PushMessage,
        request: &PhaseRequest,
        at: PhaseAddress,
        run: PhaseRunKey,
    ) -> Result<(), HandlerError> {
        let item = request.item.as_str();
        let holder = match self.claim_item(run, item).await {
            Ok(Some(holder)) => holder,
            // Drawn already: a duplicate, or the redelivery of one whose completion did not go through.
            Ok(None) => return self.complete_if_ready(run, at, request, message.delivery_attempt).await,
            Err(HandlerError::Permanent(reason)) => return Err(self.poison(message, reason).await),
            Err(e) => return Err(e),
        };
        let leased = Leased::Item(run, item.to_owned());
        let lease = LeaseGuard { store: self.store.clone(), leased: leased.clone(), holder: Some(holder.clone()) };
        let started = std::time::Instant::now();
        // No `SIMULATED_AI_SCALE` wait here: it stands for a whole phase's model time, which the
        // phase's own request waited before it planned the items.
        let work = crate::handler::draw_item(&self.ctx, request, at);
        let Some(drawn) = self.holding(&leased, &holder, work).await else {
            lease.disarm();
            tracing::warn!(job_id = %at.job, item, "item lease lost to a takeover; this delivery's outcome is dropped");
            return Ok(());
        };
        match drawn {
            Ok(()) => {
                self.metrics.observe(self.phase, "item_done", started.elapsed().as_secs_f64());
                let finished = self.store.finish_item(run, item).await.map_err(transient)?;
                lease.disarm();
                match finished {
                    Some(ItemsLeft { left: 0, .. }) | None => self.complete_if_ready(run, at, request, None).await,
                    Some(ItemsLeft { left, total }) => {
                        let done = (total - left) as usize;
                        Progress::new(self.ctx.bus.clone(), at)
                            .advance(done, total as usize, format!("{} {item} drawn", item_noun(self.phase, 1)))
                            .await;
                        Ok(())
                    }
                }
            }
            Err(error) if error.is_transient() => {
                self.metrics.observe(self.phase, "transient_failure", started.elapsed().as_secs_f64());
                lease.release().await?;
                Err(HandlerError::Transient(format!("{item}: {error}")))
            }
            Err(error) => {
                // One panel that can never be drawn fails the attempt, as it would in one request.
                self.metrics.observe(self.phase, "failed", started.elapsed().as_secs_f64());
                tracing::warn!(job_id = %at.job, item, error = %error, "an item failed for good; the attempt fails");
                let result = PhaseResult {
                    job_id: at.job.to_string(),
                    version: at.version.get(),
                    phase: at.phase.number(),
                    attempt: at.attempt,
                    status: PhaseStatus::Failed as i32,
                    error: format!("{} {item}: {error}", item_noun(self.phase, 1)),
                    ..PhaseResult::default()
                };
                let concluded = self.conclude(run, at, result).await;
                lease.disarm();
                concluded
            }
        }
    }

    /// Assembles the phase's output once every item of the run is done, and sends its result.
    /// When the run has finished already, a redelivery (`delivery_attempt` past 1: the last
    /// item's result may not have gone out) sends the kept result again; a first delivery is a
    /// duplicate of an item drawn long ago, and sends nothing.
    async fn complete_if_ready(
        &self,
        run: PhaseRunKey,
        at: PhaseAddress,
        request: &PhaseRequest,
        delivery_attempt: Option<u32>,
    ) -> Result<(), HandlerError> {
        let Some(state) = self.store.get_phase_run(run).await.map_err(transient)? else {
            return Err(HandlerError::Permanent(format!("{run} was never started")));
        };
        if state.status != manga_store::PhaseRunStatus::Running {
            return match delivery_attempt {
                Some(n) if n > 1 => self.send_again(at).await,
                _ => Ok(()),
            };
        }
        if state.items_left != Some(0) {
            return Ok(());
        }
        // The assembly is the phase itself over the request its items came from: every receipt is there.
        let whole = PhaseRequest { item: String::new(), ..request.clone() };
        let handled = crate::handler::finish(&self.ctx, &whole, at).await;
        if handled.transient {
            return Err(HandlerError::Transient(handled.result.error));
        }
        let mut result = handled.result;
        // The attempt took from its first claim to now, over every item.
        result.duration_ms = (chrono::Utc::now() - state.started_at).num_milliseconds().max(0) as u64;
        self.conclude(run, at, result).await
    }

    /// A delivery of a run already finished: its result may never have gone out (the publish
    /// failed after the run was marked finished), so it is sent again. The orchestrator takes
    /// a result once; a second copy changes nothing.
    async fn send_again(&self, at: PhaseAddress) -> Result<(), HandlerError> {
        let kept = ArtifactKey::phase_result(at.job, at.version, at.phase, at.attempt);
        match self.ctx.blob.get(&kept).await {
            Ok(bytes) => {
                let result = PhaseResult::decode(bytes.as_ref())
                    .map_err(|e| HandlerError::Permanent(format!("the kept result {kept} does not decode: {e}")))?;
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                    "duplicate delivery of a finished run: its result is sent again");
                self.publish(&result, at).await
            }
            Err(manga_blob::BlobError::NotFound(_)) => {
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                    "duplicate delivery acknowledged; the run kept no result to send again");
                Ok(())
            }
            Err(e) => Err(HandlerError::Transient(e.to_string())),
        }
    }
}

/// The topic of a phase that spreads its work over one message per item, so no push request
/// does more than one model call's work: phase 2's portraits, phase 5's panels.
pub fn item_topic(phase: PhaseId) -> Option<&'static str> {
    match phase {
        PhaseId::Characters => Some(topics::PHASE_2_PORTRAITS),
        PhaseId::Images => Some(topics::PHASE_5_PANELS),
        _ => None,
    }
}

/// What a person calls `n` items of `phase`: portraits, panels.
fn item_noun(phase: PhaseId, n: u32) -> &'static str {
    match (phase, n) {
        (PhaseId::Characters, 1) => "portrait of",
        (PhaseId::Characters, _) => "portraits",
        (_, 1) => "panel",
        _ => "panels",
    }
}

/// What a request has to spare beyond its work: the request timeout less the longest model
/// call and a margin for saving (a quarter of it at least). A delivery waits at most half of it
/// for another's lease, so waiting and then drawing still fits the request.
pub fn work_budget(request: std::time::Duration, call: std::time::Duration) -> std::time::Duration {
    let margin = std::time::Duration::from_secs(5);
    request.checked_sub(call + margin).filter(|b| *b >= request / 4).unwrap_or(request / 4)
}

fn transient(e: manga_store::StoreError) -> HandlerError {
    if e.is_transient() { HandlerError::Transient(e.to_string()) } else { HandlerError::Permanent(e.to_string()) }
}

#[async_trait]
impl PushHandler for PhaseService {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        let (request, at) = match PhaseRequest::decode_checked(&message.data) {
            Ok(ok) => ok,
            Err(e) => return Err(self.poison(&message, format!("undecodable phase request: {e}")).await),
        };
        if at.phase != self.phase {
            return Err(self
                .poison(&message, format!("{} request sent to the {} service", at.phase, self.phase))
                .await);
        }
        let run = PhaseRunKey { job: at.job, version: at.version, phase: at.phase, attempt: at.attempt };
        if !request.item.is_empty() {
            return self.handle_item(&message, &request, at, run).await;
        }
        let holder = match self.claim(run).await? {
            RunTurn::Work(holder) => holder,
            RunTurn::Finished => return self.send_again(at).await,
            RunTurn::WithItsItems => {
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                    "another delivery of a run whose items are being drawn; they finish it");
                return Ok(());
            }
            RunTurn::ItemsUnsent => {
                let Some(topic) = item_topic(self.phase) else {
                    return Err(HandlerError::Permanent(format!(
                        "{run} has items but {} has no item topic",
                        self.phase
                    )));
                };
                let undone = self.store.undone_items(run).await.map_err(transient)?;
                self.send_items(&message, &request, run, topic, &undone).await?;
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt, items = undone.len(),
                    "a run's items were planned but not all sent; the undone ones are sent again");
                return Ok(());
            }
        };
        let lease = LeaseGuard { store: self.store.clone(), leased: Leased::Run(run), holder: Some(holder.clone()) };
        let started = std::time::Instant::now();
        if let Some(wait) = self.simulated_ai {
            tokio::time::sleep(wait).await;
        }
        if let Some(topic) = item_topic(self.phase) {
            let planning = crate::handler::items_to_do(&self.ctx, &request, at);
            match self.holding(&Leased::Run(run), &holder, planning).await {
                None => {
                    lease.disarm();
                    return Ok(());
                }
                Some(Ok(items)) if !items.is_empty() => {
                    self.fan_out(&message, &request, at, run, topic, &items).await?;
                    // The run stays held, by its items' work now; the sweep leaves it alone while they move.
                    lease.disarm();
                    self.metrics.observe(self.phase, "fanned_out", started.elapsed().as_secs_f64());
                    return Ok(());
                }
                Some(Err(error)) if error.is_transient() => {
                    lease.release().await?;
                    return Err(HandlerError::Transient(error.to_string()));
                }
                // Every item is done, or the inputs are wrong: the phase itself assembles, or says why.
                Some(_) => {}
            }
        }
        let Some(handled) = self.holding(&Leased::Run(run), &holder, handle(&self.ctx, &request, at)).await else {
            lease.disarm();
            tracing::warn!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                "lease lost to a takeover; this delivery's outcome is dropped");
            return Ok(());
        };
        let outcome = match (handled.transient, handled.result.status()) {
            (true, _) => "transient_failure",
            (false, PhaseStatus::Succeeded) => "succeeded",
            _ => "failed",
        };
        self.metrics.observe(self.phase, outcome, started.elapsed().as_secs_f64());
        if handled.transient {
            // Let Pub/Sub redeliver, and the redelivery run at once.
            lease.release().await?;
            return Err(HandlerError::Transient(handled.result.error));
        }
        let concluded = self.conclude(run, at, handled.result).await;
        lease.disarm();
        concluded
    }

    async fn ready(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| format!("Postgres: {e}"))?;
        self.ctx.bus.ping().await.map_err(|e| format!("Pub/Sub: {e}"))
    }

    fn register_metrics(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.metrics.runs.clone()))?;
        registry.register(Box::new(self.metrics.seconds.clone()))?;
        self.ai_metrics.register(registry)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::work_budget;

    #[test]
    fn the_work_budget_leaves_room_for_the_longest_call_and_is_never_under_a_quarter() {
        let s = Duration::from_secs;
        assert_eq!(work_budget(s(60), s(40)), s(15), "phase 5: 60 s request, 40 s panel calls");
        assert_eq!(work_budget(s(300), s(120)), s(175));
        assert_eq!(work_budget(s(20), s(20)), s(5), "a call as long as the request: a quarter");
    }
}
