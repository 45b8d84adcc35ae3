//! Running one command on the desk: one write transaction (BEGIN IMMEDIATE) that loads what
//! the handler reads, applies its effects and appends the outbox row with the next
//! gap-free `device_seq` (SYNC.md §2). A refused command writes nothing.

use chrono::{DateTime, Utc};
use clinicdesk_domain::commands::{handle, Command, Ctx};
use clinicdesk_domain::fees::Origin;
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::world::Effects;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::load::Loader;
use crate::{id_str, parse_id, sync, ts, write, LocalStore, StoreError};

/// This desk: its store and a short code that makes its numbers unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: Id,
    pub device_code: String,
    pub store_id: Id,
    pub store_code: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub device_seq: i64,
    pub mutation_id: Id,
    pub effects: Effects,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub device_seq: i64,
    pub mutation_id: Id,
    pub name: String,
    pub args: serde_json::Value,
    pub payload_hash: String,
    pub actor: Actor,
    pub created_at: DateTime<Utc>,
    pub status: String,
}

/// The context a desk command runs in; a rebase re-runs it with the same one (stored with
/// the outbox row).
pub(crate) fn desk_ctx(device: &Device, actor: &Actor, now: DateTime<Utc>, mutation_id: Id, device_seq: i64) -> Ctx {
    Ctx {
        actor: actor.clone(),
        now,
        mutation_id,
        origin: Origin::Desk { store_id: device.store_id, device_code: device.device_code.clone() },
        serial: format!("{}-{}-{:06}", device.store_code, device.device_code, device_seq),
    }
}

/// sha256 over the name and the canonical (key-sorted) JSON of the arguments.
pub fn payload_hash(name: &str, args: &serde_json::Value) -> String {
    let canonical = serde_json::to_string(&sort_keys(args)).expect("json");
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

fn sort_keys(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let sorted: std::collections::BTreeMap<_, _> = m.iter().map(|(k, v)| (k.clone(), sort_keys(v))).collect();
            serde_json::to_value(sorted).expect("json")
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

impl LocalStore {
    /// Runs a command as `actor` at `now` on this desk. On success the effects, the history
    /// and the outbox row are committed together; on any error nothing is.
    pub async fn execute(&self, device: &Device, actor: &Actor, command: &Command, now: DateTime<Utc>) -> Result<Executed, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(device_seq), 0) FROM outbox").fetch_one(&mut *tx).await?;
        let device_seq = last + 1;
        let mutation_id = uuid::Uuid::now_v7();
        let ctx = desk_ctx(device, actor, now, mutation_id, device_seq);
        let mut loader = Loader::new(&mut tx);
        loader.for_command(actor, command).await?;
        let world = loader.world;
        let effects = handle(&world, &ctx, command)?;
        // The rows as they were before this command, for a later rebase (SYNC.md §7).
        sync::save_bases(&mut tx, &effects).await?;
        write::effects(&mut tx, &effects, "pending").await?;
        let args = command.args();
        sqlx::query(
            "INSERT INTO outbox (device_seq, mutation_id, name, args, payload_hash, actor, created_at, effects, ctx)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(device_seq)
        .bind(id_str(mutation_id))
        .bind(command.name())
        .bind(args.to_string())
        .bind(payload_hash(command.name(), &args))
        .bind(serde_json::to_string(actor).expect("json"))
        .bind(ts(now))
        .bind(serde_json::to_string(&effects).expect("json"))
        .bind(serde_json::to_string(&ctx).expect("json"))
        .execute(&mut *tx)
        .await?;
        sync::note_rows(&mut tx, device_seq, &effects).await?;
        sync::refresh_sync_state(&mut tx, &sync::appointment_ids(&effects)).await?;
        tx.commit().await?;
        Ok(Executed { device_seq, mutation_id, effects })
    }

    /// The outbox in device order.
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM outbox ORDER BY device_seq").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    device_seq: r.try_get("device_seq")?,
                    mutation_id: parse_id(r.try_get("mutation_id")?)?,
                    name: r.try_get("name")?,
                    args: serde_json::from_str(r.try_get("args")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    payload_hash: r.try_get("payload_hash")?,
                    actor: serde_json::from_str(r.try_get("actor")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    created_at: crate::from_ts(r.try_get("created_at")?),
                    status: r.try_get("status")?,
                })
            })
            .collect()
    }
}

impl LocalStore {
    /// This desk's identity, once set up.
    pub async fn device(&self) -> Result<Option<Device>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = 'device'").fetch_optional(&self.pool).await?;
        row.map(|(v,)| serde_json::from_str(&v).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    /// Sets this desk up for a store. The device code (from the device id's random bits) goes
    /// into every slip number this desk issues.
    pub async fn set_up_device(&self, store_id: Id, device_id: Id) -> Result<Device, StoreError> {
        let (code,): (String,) = sqlx::query_as("SELECT code FROM stores WHERE id = ?")
            .bind(id_str(store_id))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotSetUp("unknown store"))?;
        let hex = device_id.simple().to_string();
        let device = Device { device_id, device_code: format!("D{}", hex[hex.len() - 6..].to_uppercase()), store_id, store_code: code };
        sqlx::query("INSERT INTO meta (key, value) VALUES ('device', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(serde_json::to_string(&device).expect("json"))
            .execute(&self.pool)
            .await?;
        Ok(device)
    }
}
