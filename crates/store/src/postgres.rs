//! The fleet's store: Postgres (Cloud SQL) through a pool sized as the seeds say.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, migrate::Migrator};

use crate::StoreError;

static MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Connection pool settings; [`PoolSettings::default`] is the seeds' pool
/// (SQLAlchemy's `pool_size=20, max_overflow=10, pool_timeout=30,
/// pool_pre_ping=True, pool_recycle=3600`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections for steady load (`pool_size`).
    pub size: u32,
    /// Extra connections a burst may open on top of `size` (`max_overflow`).
    pub burst: u32,
    /// Connections kept open even when idle.
    pub min_idle: u32,
    /// How long a caller waits for a connection before a transient error (`pool_timeout`).
    pub acquire_timeout: Duration,
    /// Check a connection is alive before handing it out (`pool_pre_ping`).
    pub test_before_acquire: bool,
    /// Close connections older than this (`pool_recycle`), so Cloud SQL
    /// maintenance and proxy restarts are absorbed.
    pub max_lifetime: Duration,
    /// Close connections idle this long, which is how burst connections go away.
    pub idle_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            size: 20,
            burst: 10,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(30),
            test_before_acquire: true,
            max_lifetime: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl PoolSettings {
    /// The sqlx pool these settings describe.
    ///
    /// sqlx has one ceiling, not SQLAlchemy's two tiers, so `size + burst` is
    /// the ceiling and connections idle for `idle_timeout` are closed (down
    /// to `min_idle`): after a burst the extra connections drain away. The
    /// floor is 0 by default because every Cloud Run instance has its own
    /// pool and Cloud SQL's connection limit is shared.
    pub fn pool_options(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.size.saturating_add(self.burst).max(1))
            .min_connections(self.min_idle)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(self.test_before_acquire)
            .max_lifetime(self.max_lifetime)
            .idle_timeout(self.idle_timeout)
    }
}

/// The store on Postgres.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), then brings the
    /// schema up to date (sqlx takes an advisory lock, so instances starting
    /// together migrate once).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the URL is invalid or the server does
    /// not answer (transient), [`StoreError::Migrate`] when a migration fails.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(StoreError::db("parsing DATABASE_URL"))?;
        let pool =
            settings.pool_options().connect_with(options).await.map_err(StoreError::db("connecting to Postgres"))?;
        MIGRATIONS.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Self { pool })
    }

    /// Waits for checked-out connections to come back, then closes them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_store!(crate::PgStore);
impl_work_items!(crate::PgStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pool_is_the_seeds_pool_with_its_burst() {
        let options = PoolSettings::default().pool_options();
        assert_eq!(options.get_max_connections(), 30);
        assert_eq!(options.get_acquire_timeout(), Duration::from_secs(30));
        assert!(options.get_test_before_acquire());
        assert_eq!(options.get_max_lifetime(), Some(Duration::from_secs(3600)));
    }
}
