use sqlx::{Connection, MySqlConnection};

/// The MySQL/MariaDB server the tests use (`DATABASE_URL`, else the local default).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// The RabbitMQ broker the tests use (`AMQP_URL`, else the local default).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Drops a test's schema, blocking until done; meant for `Drop` impls.
///
/// It runs on its own thread and runtime because a test's runtime cannot block on itself. Run
/// the tests on a multi-threaded runtime, so the app's own tasks can finish their transactions
/// (and flush the rollbacks of dropped ones) while this waits for their locks.
pub fn drop_schema(name: &str) {
    let sql = format!("DROP DATABASE IF EXISTS `{name}`");
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            if let Ok(mut connection) = MySqlConnection::connect(&database_url()).await {
                // Never hang a test run on a lock: give up and leave the schema instead.
                let _ = sqlx::query("SET SESSION lock_wait_timeout = 10").execute(&mut connection).await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut connection).await;
            }
        });
    })
    .join();
}
