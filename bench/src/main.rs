//! `shopper-bench`: drives a running shopper system the way clients do.
//!
//! - `oversell`: N customers order the last S units of one product at once; checks that exactly
//!   min(S, N) orders are confirmed, the rest rejected, none left pending, and the stock exact.
//! - `orders`: places orders for a while (closed loop at a concurrency, or open loop at a rate),
//!   follows each from `POST /order` to its final status, and reports orders/s and the settle
//!   time percentiles; then checks that no order is lost or stuck and the stock is exact.

mod api;
mod load;

use std::{process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use futures_util::{StreamExt, stream};
use uuid::Uuid;

use crate::api::{Api, Customer, Endpoints};

#[derive(Parser)]
#[command(about = "Load and correctness checks against a running shopper system")]
struct Cli {
    #[command(flatten)]
    endpoints: Endpoints,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Many customers race for the last units of one product.
    Oversell {
        /// Units on hand.
        #[arg(long, default_value_t = 5)]
        stock: i64,
        /// Customers, one order of one unit each, all at once.
        #[arg(long, default_value_t = 12)]
        orders: usize,
    },
    /// Orders end to end: throughput and settle time.
    Orders(load::LoadArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = async {
        let api = Api::new(cli.endpoints)?;
        match cli.command {
            Command::Oversell { stock, orders } => oversell(&api, stock, orders).await,
            Command::Orders(args) => load::run(&api, args).await,
        }
    };
    match outcome.await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Registers `n` fresh customers, a few at a time (registration hashes a password).
pub(crate) async fn customers(api: &Api, n: usize) -> anyhow::Result<Vec<Customer>> {
    let run = Uuid::now_v7();
    stream::iter(0..n)
        .map(|i| api.customer(run, i))
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

async fn oversell(api: &Api, stock: i64, orders: usize) -> anyhow::Result<bool> {
    let admin = api.admin().await?;
    let sku = format!("LAST-{}", Uuid::now_v7().simple());
    let product = api.product(&admin, &sku, stock, 1999).await?;
    let buyers = customers(api, orders).await?;
    println!("{orders} customers order 1 of product {product} (stock {stock}) at once");
    let outcomes = futures_util::future::join_all(
        buyers.iter().map(|buyer| api.place_and_settle(buyer, product, 1, Duration::from_secs(60))),
    )
    .await;
    let statuses: Vec<String> =
        outcomes.into_iter().map(|o| o.unwrap_or_else(|e| format!("error: {e}"))).collect();
    let count = |status: &str| statuses.iter().filter(|s| *s == status).count();
    let (confirmed, rejected) = (count("confirmed"), count("rejected"));
    let left = api.stock(product).await?;
    println!(
        "confirmed {confirmed}, rejected {rejected}, other {}, stock now {left}",
        orders - confirmed - rejected
    );
    let expected = usize::try_from(stock)?.min(orders);
    let exact =
        confirmed == expected && rejected == orders - expected && left == stock - i64::try_from(confirmed)?;
    println!("{}", if exact { "exact: no oversell, every order settled" } else { "NOT EXACT" });
    Ok(exact)
}
