//! The binary's `migrate` step, which a deployment runs once, with the migrator's account and
//! none of the service's own credentials.

use std::process::{Command, Output};

use lapin::{
    Connection, ConnectionProperties,
    options::{QueueDeclareOptions, QueueDeleteOptions},
    types::FieldTable,
};
use order::OrderService;
use sqlx::MySqlPool;
use testkit::TestRun;

fn order_service(run: &TestRun, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_order-service"));
    command.args(args).env_clear().envs(run.binary_env::<OrderService>(extra));
    command.output().expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_needs_no_stripe_keys_where_serving_refuses_to_start_without_them() {
    let run = TestRun::new();
    let payments = [("PAYMENT_PROVIDER", "stripe"), ("RETRY_DELAYS_MS", "1000")];

    let serving = order_service(&run, &[], &payments);
    assert_eq!(serving.status.code(), Some(1));
    let said = String::from_utf8_lossy(&serving.stderr);
    assert!(said.contains("STRIPE_API_KEY"), "names the missing setting: {said}");

    let migrated = order_service(&run, &["migrate"], &payments);
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let schema = run.schema_of::<OrderService>();
    let pool = MySqlPool::connect(&format!("{}/{schema}", testkit::database_url())).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "payment_jobs"), "the payments migration ran: {tables:?}");
    pool.close().await;

    // The queues it declared do not expire as the harness's own do.
    let connection =
        Connection::connect(&testkit::amqp_url(), ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let prefix = &run.queue_prefix;
    for queue in
        [format!("{prefix}order.events"), format!("{prefix}order.retry.0"), format!("{prefix}order.dead")]
    {
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let declared = channel.queue_declare(queue.as_str().into(), passive, FieldTable::default()).await;
        assert!(declared.is_ok(), "migrate declared {queue}");
        channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
    }
}
