//! Versions: listing, branching from one, restoring one.

use manga_blob::BlobError;
use manga_domain::{ArtifactKey, PhaseId, Version};
use manga_store::{JobRecord, JobState, UserId, VersionRecord};

use super::{JobService, ServiceError, machine_of};
use crate::events::JobEvent;
use crate::machine::JobMachine;
use crate::views::{BranchOutcome, JobView, VersionList, VersionView};

impl JobService {
    /// A job's versions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub async fn versions(&self, user: &UserId, id: &str) -> Result<VersionList, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let versions = self.store.list_versions(job.id).await?;
        Ok(VersionList {
            current: job.current_version.get(),
            versions: versions.iter().map(VersionView::from).collect(),
        })
    }

    /// Makes a new version with `from`'s outputs and makes it current.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown version; [`ServiceError::Conflict`] while a phase runs.
    pub async fn branch(
        &self,
        user: &UserId,
        id: &str,
        from: u32,
        note: Option<String>,
    ) -> Result<BranchOutcome, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let from = self.existing_version(&job, from).await?;
        self.ensure_idle(&job).await?;
        let machine = self.machine_at(&job, from).await?;
        let note = note.unwrap_or_else(|| format!("branched from {from}"));
        let version = self.branch_artifacts(&job, from, &note).await?;
        let job = self.switch_to(&job, &machine, version.number).await?;
        let event = JobEvent::new(job.id, version.number.get(), None, "version_created", note);
        self.events.publish(event).await;
        Ok(BranchOutcome { version: version.number.get(), parent: from.get(), job: JobView::new(&job, &machine) })
    }

    /// Makes an existing version current again.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown version; [`ServiceError::Conflict`] while a phase runs.
    pub async fn restore(&self, user: &UserId, id: &str, to: u32) -> Result<JobView, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let to = self.existing_version(&job, to).await?;
        self.ensure_idle(&job).await?;
        let machine = self.machine_at(&job, to).await?;
        let job = self.switch_to(&job, &machine, to).await?;
        let event = JobEvent::new(job.id, to.get(), None, "version_restored", format!("{to} restored"));
        self.events.publish(event).await;
        Ok(JobView::new(&job, &machine))
    }

    pub(super) async fn ensure_idle(&self, job: &JobRecord) -> Result<(), ServiceError> {
        match job.state {
            JobState::Running | JobState::Pending => {
                Err(ServiceError::Conflict("a phase is running; wait for it or cancel the job first".into()))
            }
            JobState::Cancelled => Err(ServiceError::Conflict("the job was cancelled".into())),
            _ => Ok(()),
        }
    }

    pub(super) async fn existing_version(&self, job: &JobRecord, n: u32) -> Result<Version, ServiceError> {
        let versions = self.store.list_versions(job.id).await?;
        versions.iter().find(|v| v.number.get() == n).map(|v| v.number).ok_or_else(|| {
            ServiceError::NotFound(format!("the job has no version {n}; it has 1 to {}", versions.len()))
        })
    }

    pub(super) async fn machine_at(&self, job: &JobRecord, version: Version) -> Result<JobMachine, ServiceError> {
        if version == job.current_version {
            return machine_of(job);
        }
        let bytes = self.blob.get(&ArtifactKey::machine(job.id, version)).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ServiceError::Unavailable(format!("{version}'s state is unreadable: {e}")))
    }

    pub(super) async fn switch_to(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        version: Version,
    ) -> Result<JobRecord, ServiceError> {
        let step = machine.current_step();
        let job = self.save(job, machine, &step, Some(version)).await?;
        self.act(&job, machine, step).await;
        Ok(job)
    }

    /// Makes a new version branching from `parent`, with its inputs and phase outputs.
    /// The JSON keeps pointing at the parent's images, which never change.
    pub(super) async fn branch_artifacts(
        &self,
        job: &JobRecord,
        parent: Version,
        note: &str,
    ) -> Result<VersionRecord, ServiceError> {
        let version = self.store.create_version(job.id, parent, Some(note)).await?;
        let mut names: Vec<String> = vec!["story.txt".into(), "options.json".into()];
        names.extend(PhaseId::ALL.iter().map(|p| format!("{}.json", p.name())));
        for name in names {
            let (from, to) = (self.key(job.id, parent, &name)?, self.key(job.id, version.number, &name)?);
            match self.blob.get(&from).await {
                Ok(bytes) => {
                    let content_type =
                        if name.ends_with(".txt") { "text/plain; charset=utf-8" } else { "application/json" };
                    self.blob.put(&to, bytes, content_type).await?;
                }
                Err(BlobError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(version)
    }
}
