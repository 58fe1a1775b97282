//! What the database sees of the pool: a read costs it one command, and a connection handed
//! back mid-statement or mid-transaction (a dropped future, an error inside a transaction) is
//! rolled back before the next request gets it. Each test runs on a scratch schema of the real
//! MariaDB/MySQL, through a pool of one connection, so the next request is sure to get the
//! connection the last one left.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use common::config::Env;
use common::db::{self, DatabaseSettings, Pool};
use sqlx::{Connection as _, MySqlConnection, Row as _};

/// A scratch schema with one table, dropped at the end, and a pool of one connection on it.
struct Scratch {
    settings: DatabaseSettings,
    pool: Pool,
}

impl Scratch {
    async fn new() -> Self {
        let schema = format!("test_pool_{}", uuid::Uuid::now_v7().simple());
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
        let env = Env::from_pairs([
            ("DATABASE_URL", url.as_str()),
            ("TEST_DATABASE", schema.as_str()),
            ("DATABASE_MAX_CONNECTIONS", "1"),
        ]);
        let settings = DatabaseSettings::from_env(&env, "TEST_DATABASE", "unused").unwrap();
        let pool = db::connect(&settings).await.unwrap();
        sqlx::raw_sql("CREATE TABLE items (id INT PRIMARY KEY)").execute(&pool).await.unwrap();
        Self { settings, pool }
    }

    /// A connection of its own, outside the pool: another client of the server.
    async fn observer(&self) -> MySqlConnection {
        let mut connection =
            MySqlConnection::connect_with(&self.settings.server.clone().database(&self.settings.schema))
                .await
                .unwrap();
        // A row still locked by a leaked transaction fails the observer's write in a second.
        sqlx::raw_sql("SET SESSION innodb_lock_wait_timeout = 1").execute(&mut connection).await.unwrap();
        connection
    }

    async fn drop_schema(self) {
        self.pool.close().await;
        let mut server = MySqlConnection::connect_with(&self.settings.server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE `{}`", self.settings.schema)))
            .execute(&mut server)
            .await
            .unwrap();
    }
}

/// The pool's connection as the next request finds it: its id, and whether it sees the row `id`.
/// A transaction left open on it would show its own uncommitted row. (The server's
/// `information_schema.innodb_trx` cannot tell: it is a cache refreshed every 0.1 s at most.)
async fn next_request_sees(pool: &Pool, row: i32) -> (u64, bool) {
    let mut connection = pool.acquire().await.unwrap();
    let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()").fetch_one(&mut connection).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE id = ?")
        .bind(row)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    (id, rows > 0)
}

/// The statements and pings the server has counted for the pool's one connection.
async fn commands(pool: &Pool) -> (u64, u64) {
    let rows = sqlx::raw_sql(
        "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_execute', 'Com_admin_commands')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let count = |name: &str| -> u64 {
        let row = rows.iter().find(|row| row.get::<String, _>(0) == name).expect("the counter");
        row.get::<String, _>(1).parse().unwrap()
    };
    (count("Com_stmt_execute"), count("Com_admin_commands"))
}

/// Whether the observer can write the row `id`, which nobody holds.
async fn row_is_free(observer: &mut MySqlConnection, id: i32) -> bool {
    sqlx::query("INSERT INTO items (id) VALUES (?)").bind(id).execute(&mut *observer).await.is_ok()
}

#[tokio::test]
async fn a_read_costs_the_database_one_command_and_no_ping() {
    let scratch = Scratch::new().await;
    let (executes_before, pings_before) = commands(&scratch.pool).await;
    for n in 0..20_i64 {
        let read: i64 = sqlx::query_scalar("SELECT ?").bind(n).fetch_one(&scratch.pool).await.unwrap();
        assert_eq!(read, n);
    }
    let (executes_after, pings_after) = commands(&scratch.pool).await;
    assert_eq!(executes_after - executes_before, 20, "one statement execution per read");
    assert_eq!(pings_after, pings_before, "no ping between reads");
    scratch.drop_schema().await;
}

#[tokio::test]
async fn an_error_inside_a_transaction_leaves_nothing_open_for_the_next_request() {
    let scratch = Scratch::new().await;
    let (connection, _) = next_request_sees(&scratch.pool, 1).await;

    // A handler that writes, then fails and returns its error with `?`: its transaction is
    // dropped unfinished.
    let handler = async {
        let mut tx = scratch.pool.begin().await?;
        sqlx::query("INSERT INTO items (id) VALUES (1)").execute(&mut *tx).await?;
        sqlx::query("SELECT * FROM no_such_table").execute(&mut *tx).await?;
        tx.commit().await
    };
    assert!(handler.await.is_err());

    let (next, sees_the_write) = next_request_sees(&scratch.pool, 1).await;
    assert_eq!(next, connection, "the connection was rolled back and reused, not replaced");
    assert!(!sees_the_write, "the next request runs outside the failed transaction");
    let mut observer = scratch.observer().await;
    assert!(row_is_free(&mut observer, 1).await, "the failed write was undone and holds no lock");
    scratch.drop_schema().await;
}

#[tokio::test]
async fn a_request_dropped_mid_statement_inside_a_transaction_leaves_nothing_open() {
    let scratch = Scratch::new().await;
    let (connection, _) = next_request_sees(&scratch.pool, 2).await;

    // A client that hangs up while its request waits on the database: the request's future is
    // dropped in the middle of a statement, its transaction with it.
    let request = async {
        let mut tx = scratch.pool.begin().await.unwrap();
        sqlx::query("INSERT INTO items (id) VALUES (2)").execute(&mut *tx).await.unwrap();
        sqlx::query("SELECT SLEEP(1)").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    assert!(tokio::time::timeout(Duration::from_millis(200), request).await.is_err());

    let read: i64 = sqlx::query_scalar("SELECT ?").bind(7_i64).fetch_one(&scratch.pool).await.unwrap();
    assert_eq!(read, 7, "the next request reads its own answer, not the abandoned one");
    let (next, sees_the_write) = next_request_sees(&scratch.pool, 2).await;
    assert_eq!(next, connection, "the connection was rolled back and reused, not replaced");
    assert!(!sees_the_write, "the next request runs outside the abandoned transaction");
    let mut observer = scratch.observer().await;
    assert!(row_is_free(&mut observer, 2).await, "the abandoned write was undone and holds no lock");
    scratch.drop_schema().await;
}

#[tokio::test]
async fn a_read_dropped_mid_statement_leaves_no_answer_behind() {
    let scratch = Scratch::new().await;
    let abandoned = sqlx::query_scalar::<_, i64>("SELECT SLEEP(1) + 100").fetch_one(&scratch.pool);
    assert!(tokio::time::timeout(Duration::from_millis(200), abandoned).await.is_err());

    let read: i64 = sqlx::query_scalar("SELECT ?").bind(7_i64).fetch_one(&scratch.pool).await.unwrap();
    assert_eq!(read, 7);
    scratch.drop_schema().await;
}
