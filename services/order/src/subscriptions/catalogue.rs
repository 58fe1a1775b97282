//! `product.created`, `product.updated`, `product.imported`, `product.deleted` -> the order
//! service's copy of the catalogue. Idempotent twice over: the inbox drops redeliveries, and the product's version
//! drops anything older than what the copy holds, so events may arrive in any order.

use chrono::Utc;
use common::db::Connection;
use events::{Envelope, ProductCreated, ProductDeleted, ProductUpdated, ProductsImported};
use messaging::{HandlerError, Handles};

use super::OrderEvents;
use crate::store::catalogue::{self, Listing};

/// A product's version when it is created; every update raises it.
const FIRST_VERSION: i64 = 1;

impl Handles<ProductCreated> for OrderEvents {
    async fn handle(&self, p: ProductCreated, _: &Envelope, tx: &mut Connection) -> Result<(), HandlerError> {
        let ProductCreated { product_id, sku, name, price_cents, currency, stock, category } = p;
        let first = ProductUpdated {
            product_id,
            sku,
            name,
            price_cents,
            currency,
            stock,
            category,
            version: FIRST_VERSION,
        };
        record(&first, tx).await
    }
}

impl Handles<ProductUpdated> for OrderEvents {
    async fn handle(&self, p: ProductUpdated, _: &Envelope, tx: &mut Connection) -> Result<(), HandlerError> {
        record(&p, tx).await
    }
}

impl Handles<ProductsImported> for OrderEvents {
    async fn handle(
        &self,
        batch: ProductsImported,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        let listings: Vec<Listing<'_>> = batch.products.iter().map(listing).collect();
        Ok(catalogue::upsert(tx, &listings, Utc::now()).await?)
    }
}

/// Records the product as of `p.version`, unless the copy holds a later one.
async fn record(p: &ProductUpdated, tx: &mut Connection) -> Result<(), HandlerError> {
    Ok(catalogue::upsert(tx, &[listing(p)], Utc::now()).await?)
}

fn listing(p: &ProductUpdated) -> Listing<'_> {
    Listing {
        product_id: p.product_id,
        name: &p.name,
        price_cents: p.price_cents,
        currency: &p.currency,
        stock: p.stock,
        version: p.version,
    }
}

impl Handles<ProductDeleted> for OrderEvents {
    async fn handle(&self, p: ProductDeleted, _: &Envelope, tx: &mut Connection) -> Result<(), HandlerError> {
        Ok(catalogue::withdraw(tx, p.product_id, Utc::now()).await?)
    }
}
