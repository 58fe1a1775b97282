use std::time::Duration;

use events::Envelope;
use lapin::{
    Channel, Connection, ConnectionProperties, ExchangeKind,
    options::{BasicGetOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};

use crate::amqp_url;

/// A throwaway queue bound to an exchange, collecting what is published there: what a consumer
/// of those events would see.
pub struct EventCollector {
    _connection: Connection,
    channel: Channel,
    queue: String,
}

impl EventCollector {
    /// Binds a new queue to `exchange` for each routing key (`#` for everything).
    pub async fn bind(exchange: &str, routing_keys: &[&str]) -> Self {
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
        channel
            .exchange_declare(exchange.into(), ExchangeKind::Topic, durable, FieldTable::default())
            .await
            .unwrap();
        let queue = format!("test.collector.{}", uuid::Uuid::now_v7().simple());
        let mut args = FieldTable::default();
        // Gone a minute after the test stops using it.
        args.insert("x-expires".into(), AMQPValue::LongLongInt(60_000));
        channel.queue_declare(queue.as_str().into(), QueueDeclareOptions::default(), args).await.unwrap();
        for key in routing_keys {
            channel
                .queue_bind(
                    queue.as_str().into(),
                    exchange.into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        }
        Self { _connection: connection, channel, queue }
    }

    /// Everything that has arrived since the last call.
    pub async fn drain(&self) -> Vec<Envelope> {
        let mut seen = Vec::new();
        while let Ok(Some(message)) =
            self.channel.basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true }).await
        {
            seen.push(serde_json::from_slice(&message.delivery.data).expect("an envelope"));
        }
        seen
    }

    /// Waits up to ten seconds for `count` events in all, then a little longer to catch any
    /// extra (duplicates), and returns everything collected.
    pub async fn collect(&self, count: usize) -> Vec<Envelope> {
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen.extend(self.drain().await);
            if seen.len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        seen.extend(self.drain().await);
        seen
    }
}

/// Waits until something consumes from `queue`: its bindings, declared before consuming, are
/// then in place, so events published from now on reach it. A failed passive declare closes its
/// channel, hence a channel per try.
pub async fn wait_for_consumer(queue: &str) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap();
    for _ in 0..200 {
        let channel = connection.create_channel().await.unwrap();
        let passive = QueueDeclareOptions { passive: true, ..Default::default() };
        if channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .is_ok_and(|q| q.consumer_count() > 0)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing ever consumed from {queue}");
}

/// Deletes a test's exchange, blocking until done; meant for `Drop` impls (see `drop_schema`).
pub fn delete_exchange(name: &str) {
    let name = name.to_owned();
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            if let Ok(connection) = Connection::connect(&amqp_url(), ConnectionProperties::default()).await {
                if let Ok(channel) = connection.create_channel().await {
                    let _ = channel.exchange_delete(name.as_str().into(), Default::default()).await;
                }
                let _ = connection.close(200, "test done".into()).await;
            }
        });
    })
    .join();
}
