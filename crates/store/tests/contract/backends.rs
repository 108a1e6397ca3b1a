//! Fresh, isolated stores for each test: a SQLite file in a temp directory,
//! SQLite in memory, and a Postgres database of its own, dropped at the end.

use std::sync::Arc;

use manga_store::{PgStore, PoolSettings, SqliteStore, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

const DEFAULT_DATABASE_URL: &str = "postgres://root@127.0.0.1:5432/postgres";

/// A store and whatever must live (and be cleaned up) as long as it does.
pub struct Backend {
    store: Arc<dyn Store>,
    _cleanup: Cleanup,
}

#[allow(dead_code, reason = "the values are held only to be dropped with the store")]
enum Cleanup {
    TempDir(tempfile::TempDir),
    Nothing,
    Postgres(Box<PgDatabase>),
}

impl Backend {
    /// The store under test.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }
}

/// SQLite in a file of its own, WAL and all, deleted with its directory.
pub async fn sqlite_file() -> Backend {
    let dir = tempfile::tempdir().expect("a temp directory for the SQLite file");
    let store = SqliteStore::open(dir.path().join("store.db")).await.expect("opening SQLite");
    Backend { store: Arc::new(store), _cleanup: Cleanup::TempDir(dir) }
}

/// SQLite in memory, private to this test.
pub async fn sqlite_memory() -> Backend {
    let store = SqliteStore::in_memory().await.expect("opening SQLite in memory");
    Backend { store: Arc::new(store), _cleanup: Cleanup::Nothing }
}

/// A fresh Postgres database `manga_test_<uuid>`, migrated by `PgStore::connect`.
pub async fn postgres() -> Backend {
    let db = PgDatabase::create().await;
    let store = PgStore::connect(&db.url, PoolSettings::default()).await.expect("connecting to the fresh database");
    Backend { store: Arc::new(store), _cleanup: Cleanup::Postgres(Box::new(db)) }
}

#[allow(clippy::disallowed_methods, reason = "tests find Postgres as the services' config does")]
fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// A database created for one test and dropped (WITH (FORCE)) when this is dropped,
/// even if the test panicked.
struct PgDatabase {
    admin: PgConnectOptions,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> Self {
        let server_url = database_url();
        let unreachable = |e: &dyn std::fmt::Display| -> ! {
            panic!("Postgres is not reachable at {server_url} (set DATABASE_URL); start it or run tests/run ({e})")
        };
        let options: PgConnectOptions = server_url.parse().unwrap_or_else(|e| unreachable(&e));
        let admin = options.clone().database("postgres");
        let mut conn = admin.connect().await.unwrap_or_else(|e| unreachable(&e));
        let name = format!("manga_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("creating the test database");
        conn.close().await.ok();
        let url = options.database(&name).to_url_lossy().to_string();
        Self { admin, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await and we are inside the test's runtime, so the drop
        // runs on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut conn = admin.connect().await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
                conn.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}
