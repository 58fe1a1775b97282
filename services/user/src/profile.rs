//! A profile as the service reasons about it: personal data decrypted, role typed.

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use common::rbac::Role;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    PiiKeys,
    domain::{Address, Phone},
    store::profiles::ProfileRow,
};

/// A user's profile; also the response body of every endpoint that returns one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Profile {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    #[schema(value_type = Option<String>, example = "+14155550123")]
    pub(crate) phone: Option<Phone>,
    pub(crate) address: Option<Address>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

const PHONE: &str = "phone";
const ADDRESS: &str = "address";

impl Profile {
    /// Decrypts a stored row.
    pub(crate) fn from_row(row: ProfileRow, keys: &PiiKeys) -> anyhow::Result<Self> {
        let open = |field: &str, sealed: &Option<Vec<u8>>| -> anyhow::Result<Option<Vec<u8>>> {
            match sealed {
                None => Ok(None),
                Some(sealed) => {
                    let kid = row.pii_key_id.as_deref().context("encrypted data without a key id")?;
                    keys.open(kid, row.id, field, sealed).map(Some)
                }
            }
        };
        let phone = open(PHONE, &row.phone_encrypted)?.map(|b| serde_json::from_slice(&b)).transpose()?;
        let address =
            open(ADDRESS, &row.address_encrypted)?.map(|b| serde_json::from_slice(&b)).transpose()?;
        Ok(Self {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role.parse().map_err(|e: String| anyhow!(e))?,
            phone,
            address,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The row to store, personal data encrypted with the active key.
    pub(crate) fn to_row(&self, keys: &PiiKeys) -> anyhow::Result<ProfileRow> {
        let seal =
            |field: &str, value: Option<Vec<u8>>| value.map(|v| keys.seal(self.id, field, &v)).transpose();
        let phone = seal(PHONE, self.phone.as_ref().map(serde_json::to_vec).transpose()?)?;
        let address = seal(ADDRESS, self.address.as_ref().map(serde_json::to_vec).transpose()?)?;
        let pii_key_id = (phone.is_some() || address.is_some()).then(|| keys.active().to_owned());
        Ok(ProfileRow {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.to_string(),
            phone_encrypted: phone,
            address_encrypted: address,
            pii_key_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
