//! A status change someone asks for over HTTP: the order locked, its visibility and the state
//! machine checked, and the change committed with its events (through `lifecycle`).

use common::{
    AppError,
    rbac::{AuthUser, Permission},
};
use uuid::Uuid;

use crate::{
    domain::{Actor, Refusal, Status},
    lifecycle::{self, Change, ChangeError},
    order::Order,
    state::AppState,
    store::orders,
};

/// Moves order `id` to `to` on behalf of `user`: its owner, or an admin.
pub(crate) async fn change(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    to: Status,
) -> Result<Order, AppError> {
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    user.require_visible(order.user_id, Permission::ManageOrders)?;
    let actor = if user.role.can(Permission::ManageOrders) { Actor::Admin } else { Actor::Owner };
    let change = Change { to, actor, by: Some(user.id), reason: None };
    match lifecycle::apply(&mut tx, &order, change).await {
        Ok(_) => {}
        Err(ChangeError::Refused(Refusal::NotAllowed)) => return Err(AppError::Forbidden),
        Err(ChangeError::Refused(Refusal::Impossible)) => return Err(impossible(order.status, to)),
        Err(ChangeError::Refused(Refusal::Unpaid)) => {
            return Err(AppError::Conflict(format!(
                "an order ships once it is paid; its payment is {}",
                order.payment_status.as_str()
            )));
        }
        Err(ChangeError::Failed(error)) => return Err(error.into()),
    }
    state.outbox.commit(tx).await?;
    let mut db = state.pool.acquire().await?;
    orders::find(&mut db, id).await?.ok_or(AppError::NotFound)
}

fn impossible(from: Status, to: Status) -> AppError {
    AppError::Conflict(match (from, to) {
        (Status::Pending, Status::Confirmed | Status::Rejected) => {
            "an order is confirmed or rejected by its stock reservation, not by hand".into()
        }
        _ if from == to => format!("the order is already {to}"),
        _ => format!("a {from} order cannot become {to}"),
    })
}
