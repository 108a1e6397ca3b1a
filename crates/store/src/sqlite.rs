//! The embedded store: SQLite in a file (WAL) or in memory.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;

static MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");

/// The store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, with WAL so
    /// readers do not block the writer and foreign keys enforced, then brings
    /// the schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the file cannot be opened,
    /// [`StoreError::Migrate`] when a migration fails.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // SQLite has one writer; others wait this long before SQLITE_BUSY.
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(StoreError::db("opening the SQLite database"))?;
        Self::migrated(pool).await
    }

    /// A private database in memory, gone when the store is dropped.
    ///
    /// # Errors
    /// [`StoreError::Migrate`] when a migration fails.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::db("opening an in-memory SQLite database"))?
            .foreign_keys(true);
        // One connection: an in-memory database lives only as long as its
        // connections, and a shared cache would answer concurrent writers
        // with SQLITE_LOCKED instead of waiting. So the one connection stays
        // open for the pool's life and callers queue for it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(StoreError::db("opening an in-memory SQLite database"))?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self, StoreError> {
        MIGRATIONS.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Self { pool })
    }

    /// Waits for checked-out connections to come back, then closes them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_store!(crate::SqliteStore);
impl_work_items!(crate::SqliteStore);
