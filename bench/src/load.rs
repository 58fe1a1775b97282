//! Orders end to end under load.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tokio::{sync::Mutex, task::JoinSet};
use uuid::Uuid;

use crate::api::{Api, Customer};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// How long to place orders, in seconds.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Orders in flight at once (closed loop: each places its next when the last settles).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Orders per second, started on schedule whatever the answers (open loop); overrides
    /// `--concurrency`.
    #[arg(long)]
    rate: Option<u32>,
    /// Customers placing the orders.
    #[arg(long, default_value_t = 32)]
    customers: usize,
    /// Products the orders spread over.
    #[arg(long, default_value_t = 20)]
    products: usize,
    /// How long one order may take to settle before it counts as stuck, in seconds.
    #[arg(long, default_value_t = 120)]
    patience: u64,
}

/// What the run saw.
#[derive(Default)]
struct Tally {
    settle: Option<Histogram<u64>>,
    confirmed: u64,
    rejected: u64,
    stuck: u64,
    errors: u64,
}

impl Tally {
    fn record(&mut self, outcome: anyhow::Result<String>, took: Duration) {
        match outcome.as_deref() {
            Ok("confirmed") => {
                self.confirmed += 1;
                let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                if let Some(histogram) = &mut self.settle {
                    histogram.saturating_record(micros);
                }
            }
            Ok("rejected") => self.rejected += 1,
            Ok(_) => self.stuck += 1,
            Err(error) => {
                if self.errors < 5 {
                    eprintln!("order failed: {error:#}");
                }
                self.errors += 1;
            }
        }
    }
}

const STOCK: i64 = 10_000_000;

pub async fn run(api: &Api, args: LoadArgs) -> anyhow::Result<bool> {
    let admin = api.admin().await?;
    let run = Uuid::now_v7().simple().to_string();
    let mut products = Vec::new();
    for i in 0..args.products.max(1) {
        products.push(api.product(&admin, &format!("LOAD-{run}-{i}"), STOCK, 100 + i as i64).await?);
    }
    let customers = crate::customers(api, args.customers.max(1)).await?;
    let tally = Arc::new(Mutex::new(Tally {
        settle: Some(Histogram::new_with_bounds(1, 3_600_000_000, 3)?),
        ..Tally::default()
    }));
    let patience = Duration::from_secs(args.patience);
    let started = Instant::now();
    let until = started + Duration::from_secs(args.duration);
    let order = {
        let (api, tally, customers, products) =
            (api.clone(), tally.clone(), customers.clone(), products.clone());
        move |n: usize| {
            let (api, tally) = (api.clone(), tally.clone());
            let customer: Customer = customers[n % customers.len()].clone();
            let product = products[n % products.len()];
            async move {
                let began = Instant::now();
                let outcome = api.place_and_settle(&customer, product, 1, patience).await;
                tally.lock().await.record(outcome, began.elapsed());
            }
        }
    };

    let mut tasks = JoinSet::new();
    match args.rate {
        Some(rate) => {
            let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut n = 0;
            while Instant::now() < until {
                tick.tick().await;
                tasks.spawn(order(n));
                n += 1;
            }
        }
        None => {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            for _ in 0..args.concurrency.max(1) {
                let (order, next) = (order.clone(), next.clone());
                tasks.spawn(async move {
                    while Instant::now() < until {
                        order(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).await;
                    }
                });
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();

    let tally = tally.lock().await;
    let mut taken = 0;
    for product in &products {
        taken += STOCK - api.stock(*product).await?;
    }
    let settled = tally.confirmed + tally.rejected;
    let histogram = tally.settle.as_ref().expect("created above");
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let exact = taken == i64::try_from(tally.confirmed)? && tally.stuck == 0 && tally.errors == 0;
    println!(
        "orders={} confirmed={} rejected={} stuck={} errors={} seconds={:.1} orders_per_sec={:.1} p50_ms={:.1} p99_ms={:.1} p999_ms={:.1} max_ms={:.1} stock_taken={} exact={}",
        settled + tally.stuck + tally.errors,
        tally.confirmed,
        tally.rejected,
        tally.stuck,
        tally.errors,
        elapsed.as_secs_f64(),
        settled as f64 / elapsed.as_secs_f64(),
        ms(0.5),
        ms(0.99),
        ms(0.999),
        histogram.max() as f64 / 1000.0,
        taken,
        exact,
    );
    Ok(exact)
}
