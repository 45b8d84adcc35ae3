//! Online refunds through the payment provider (DOMAIN.md §6, SYNC.md §6).
//!
//! `PaymentProvider` is the interface to a provider (WeChat Pay v3's refund API shape);
//! `SimWeChatPay` simulates it by the provider's documented rules: the refund's
//! `out_refund_no` is the idempotency key (the same one again answers the same refund and
//! pays nothing twice), the refunds of one payment never exceed what was paid
//! (`NOT_ENOUGH`), nothing is refunded after paid_at + 365 days, and a refund is accepted
//! as `PROCESSING` first and is `SUCCESS` (money back) only once the provider confirms it.
//!
//! Wiring: the command transaction that decides a provider refund (`fee.refund_online@1`,
//! `appointment.patient_cancel@1` under the direct policy) also writes a `provider_refunds`
//! row in state `pending` (see `apply.rs`). Only after commit is the provider called, with
//! the refund's id as `out_refund_no`, and the answer recorded (`processing`, `success`,
//! or `refused` with the provider's code). A crash between commit and the call leaves the
//! row `pending`: a retry of the same command, or [`resend_pending`] (run at start and
//! periodically by the server), sends the same `out_refund_no` again, so the provider pays
//! at most once.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use clinicdesk_domain::model::{Fee, Id, Refund};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::db::Db;
use crate::docs::{id_str, ts};
use crate::ServerError;

/// A refund as sent to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// Our refund id: the provider's idempotency key.
    pub out_refund_no: String,
    /// The payment being refunded (our fee id; the provider's out_trade_no).
    pub transaction_id: String,
    /// What the payment was, in fen.
    pub total_fen: i64,
    /// What this refund gives back, in fen.
    pub refund_fen: i64,
    pub paid_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProviderStatus {
    /// Accepted, money not back yet. Accepted is not refunded.
    Processing,
    /// The money is back with the payer.
    Success,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAccepted {
    pub out_refund_no: String,
    /// The provider's own id of the refund.
    pub refund_id: String,
    pub refund_fen: i64,
    pub status: ProviderStatus,
}

/// What a provider refuses with (WeChat Pay v3 error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// The refunds would exceed what was paid.
    #[error("NOT_ENOUGH: 退款金额超过订单可退金额")]
    NotEnough,
    /// The payment is older than the provider's refund window.
    #[error("INVALID_REQUEST: 订单已超过退款期限")]
    RefundPeriodExpired,
    /// The request contradicts what the provider knows (e.g. another total).
    #[error("INVALID_REQUEST: {0}")]
    InvalidRequest(String),
    #[error("RESOURCE_NOT_EXISTS: 退款单不存在")]
    NotFound,
    /// The provider could not answer (network, SYSTEM_ERROR): try again with the same out_refund_no.
    #[error("SYSTEM_ERROR: {0}")]
    Unavailable(String),
}

impl PayError {
    pub fn code(&self) -> &'static str {
        match self {
            PayError::NotEnough => "NOT_ENOUGH",
            PayError::RefundPeriodExpired | PayError::InvalidRequest(_) => "INVALID_REQUEST",
            PayError::NotFound => "RESOURCE_NOT_EXISTS",
            PayError::Unavailable(_) => "SYSTEM_ERROR",
        }
    }
    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PayError::Unavailable(_))
    }
}

pub type PayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PayError>> + Send + 'a>>;

/// A payment provider's refund API.
pub trait PaymentProvider: Send + Sync {
    /// Asks for a refund; the same `out_refund_no` again answers the same refund.
    fn refund(&self, req: RefundRequest) -> PayFuture<'_, RefundAccepted>;
    /// The refund's current state.
    fn query_refund(&self, out_refund_no: &str) -> PayFuture<'_, RefundAccepted>;
}

/// WeChat Pay's refund window.
pub const REFUND_WINDOW_DAYS: i64 = 365;

#[derive(Debug, Clone)]
struct SimRefund {
    accepted: RefundAccepted,
    transaction_id: String,
    queries: u32,
}

#[derive(Debug, Default)]
struct SimState {
    /// Transaction → (total paid, sum of accepted refunds).
    payments: BTreeMap<String, (i64, i64)>,
    refunds: BTreeMap<String, SimRefund>,
    /// Physical payouts per transaction (a refund that reached SUCCESS).
    payouts: BTreeMap<String, u32>,
    fail_next: u32,
    clock_offset: Duration,
}

/// An in-memory WeChat Pay v3 refund API.
#[derive(Debug)]
pub struct SimWeChatPay {
    state: Mutex<SimState>,
    /// A refund becomes SUCCESS on this many-th `query_refund` (or on `settle`).
    queries_to_success: u32,
    calls: AtomicU64,
}

impl Default for SimWeChatPay {
    fn default() -> Self {
        SimWeChatPay::new()
    }
}

impl SimWeChatPay {
    pub fn new() -> SimWeChatPay {
        SimWeChatPay { state: Mutex::new(SimState::default()), queries_to_success: 1, calls: AtomicU64::new(0) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The provider's clock runs ahead of the server's by `offset` (tests of its 365-day rule).
    pub fn set_clock_offset(&self, offset: Duration) {
        self.lock().clock_offset = offset;
    }

    /// The next `n` calls fail with SYSTEM_ERROR before doing anything (an outage).
    pub fn fail_next(&self, n: u32) {
        self.lock().fail_next = n;
    }

    /// The provider confirms every accepted refund: they become SUCCESS (money paid out).
    pub fn settle(&self) {
        let mut st = self.lock();
        let done: Vec<String> =
            st.refunds.iter().filter(|(_, r)| r.accepted.status == ProviderStatus::Processing).map(|(k, _)| k.clone()).collect();
        for key in done {
            Self::succeed(&mut st, &key);
        }
    }

    fn succeed(st: &mut SimState, out_refund_no: &str) {
        if let Some(r) = st.refunds.get_mut(out_refund_no) {
            if r.accepted.status == ProviderStatus::Processing {
                r.accepted.status = ProviderStatus::Success;
                let tx = r.transaction_id.clone();
                *st.payouts.entry(tx).or_default() += 1;
            }
        }
    }

    /// Physical payouts made for a payment (a refund that reached SUCCESS).
    pub fn payouts(&self, transaction_id: &str) -> u32 {
        self.lock().payouts.get(transaction_id).copied().unwrap_or(0)
    }

    /// Physical payouts made in all.
    pub fn total_payouts(&self) -> u32 {
        self.lock().payouts.values().sum()
    }

    /// Refund calls received (including repeats and refusals).
    pub fn refund_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The refund request handled synchronously at the provider's `now`.
    pub fn refund_at(&self, req: &RefundRequest, now: DateTime<Utc>) -> Result<RefundAccepted, PayError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        if st.fail_next > 0 {
            st.fail_next -= 1;
            return Err(PayError::Unavailable("模拟的支付渠道故障".into()));
        }
        if let Some(existing) = st.refunds.get(&req.out_refund_no) {
            // The idempotency key: the same refund, nothing paid twice.
            if existing.transaction_id != req.transaction_id || existing.accepted.refund_fen != req.refund_fen {
                return Err(PayError::InvalidRequest("同一退款单号的请求参数不一致".into()));
            }
            return Ok(existing.accepted.clone());
        }
        if req.refund_fen <= 0 || req.total_fen <= 0 {
            return Err(PayError::InvalidRequest("退款金额必须大于 0".into()));
        }
        let now = now + st.clock_offset;
        if now > req.paid_at + Duration::days(REFUND_WINDOW_DAYS) {
            return Err(PayError::RefundPeriodExpired);
        }
        let (total, refunded) = *st.payments.entry(req.transaction_id.clone()).or_insert((req.total_fen, 0));
        if total != req.total_fen {
            return Err(PayError::InvalidRequest("订单金额与支付金额不一致".into()));
        }
        if refunded + req.refund_fen > total {
            return Err(PayError::NotEnough);
        }
        st.payments.insert(req.transaction_id.clone(), (total, refunded + req.refund_fen));
        let accepted = RefundAccepted {
            out_refund_no: req.out_refund_no.clone(),
            refund_id: format!("50300{}", uuid::Uuid::new_v4().simple()),
            refund_fen: req.refund_fen,
            status: ProviderStatus::Processing,
        };
        st.refunds.insert(
            req.out_refund_no.clone(),
            SimRefund { accepted: accepted.clone(), transaction_id: req.transaction_id.clone(), queries: 0 },
        );
        Ok(accepted)
    }

    fn query_now(&self, out_refund_no: &str) -> Result<RefundAccepted, PayError> {
        let mut st = self.lock();
        if st.fail_next > 0 {
            st.fail_next -= 1;
            return Err(PayError::Unavailable("模拟的支付渠道故障".into()));
        }
        let r = st.refunds.get_mut(out_refund_no).ok_or(PayError::NotFound)?;
        r.queries += 1;
        if r.queries >= self.queries_to_success {
            Self::succeed(&mut st, out_refund_no);
        }
        Ok(st.refunds[out_refund_no].accepted.clone())
    }
}

impl PaymentProvider for SimWeChatPay {
    fn refund(&self, req: RefundRequest) -> PayFuture<'_, RefundAccepted> {
        Box::pin(async move { self.refund_at(&req, Utc::now()) })
    }
    fn query_refund(&self, out_refund_no: &str) -> PayFuture<'_, RefundAccepted> {
        let key = out_refund_no.to_string();
        Box::pin(async move { self.query_now(&key) })
    }
}

// ---------------------------------------------------------------------------------------
// The server's record of provider refunds.

/// A provider refund as the server records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRefund {
    pub refund_id: Id,
    pub fee_id: Id,
    /// pending (decided, not yet accepted by the provider), processing, success, refused, not_needed.
    pub status: String,
    pub refund_fen: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_refund_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// Inside the command transaction: the refund the command decided, to be sent after commit.
pub async fn record_pending(
    conn: &mut AnyConnection,
    tenant: Id,
    mutation_id: Id,
    fee: &Fee,
    refund: &Refund,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    // Only the WeChat-paid part goes back through the provider; points are not its business.
    let total = fee.wechat_paid.0;
    let amount = refund.amount.0.min(total);
    let status = if amount > 0 { "pending" } else { "not_needed" };
    sqlx::query(
        "INSERT INTO provider_refunds (refund_id, tenant_id, fee_id, mutation_id, total_fen, refund_fen, paid_at, status, attempts, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id_str(refund.id))
    .bind(id_str(tenant))
    .bind(id_str(fee.id))
    .bind(id_str(mutation_id))
    .bind(total)
    .bind(amount)
    .bind(ts(fee.paid_at.unwrap_or(now)))
    .bind(status)
    .bind(0_i64)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

type Row = (String, String, String, i64, i64, i64, String, Option<String>, Option<String>, Option<String>);

const COLUMNS: &str = "refund_id, tenant_id, fee_id, total_fen, refund_fen, paid_at, status, provider_refund_id, error_code, error_message";

fn parse_id(s: &str) -> Result<Id, ServerError> {
    s.parse().map_err(|_| ServerError::Corrupt(format!("bad id {s:?}")))
}

fn view(row: &Row) -> Result<ProviderRefund, ServerError> {
    Ok(ProviderRefund {
        refund_id: parse_id(&row.0)?,
        fee_id: parse_id(&row.2)?,
        status: row.6.clone(),
        refund_fen: row.4,
        provider_refund_id: row.7.clone(),
        error_code: row.8.clone(),
        error_message: row.9.clone(),
    })
}

/// The recorded provider refund of a fee (of this chain), if any.
pub async fn of_fee(db: &Db, tenant: Id, fee_id: Id) -> Result<Option<ProviderRefund>, ServerError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM provider_refunds WHERE fee_id = $1 AND tenant_id = $2"))
        .bind(id_str(fee_id))
        .bind(id_str(tenant))
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(view).transpose()
}

async fn send_rows(db: &Db, provider: &dyn PaymentProvider, rows: Vec<Row>) -> Result<Vec<ProviderRefund>, ServerError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (refund_id, _, fee_id, total, amount, paid_at, ..) = row.clone();
        let req = RefundRequest {
            out_refund_no: refund_id.clone(),
            transaction_id: fee_id.clone(),
            total_fen: total,
            refund_fen: amount,
            paid_at: DateTime::from_timestamp(paid_at, 0).unwrap_or_default(),
        };
        let now = ts(Utc::now());
        let (status, provider_id, code, message) = match provider.refund(req).await {
            Ok(acc) => {
                let status = match acc.status {
                    ProviderStatus::Processing => "processing",
                    ProviderStatus::Success => "success",
                };
                tracing::info!(refund = %refund_id, fee = %fee_id, status, "provider accepted the refund");
                (status, Some(acc.refund_id), None, None)
            }
            Err(e) if e.is_retryable() => {
                tracing::warn!(refund = %refund_id, code = e.code(), "provider unavailable; the refund stays pending and is sent again");
                ("pending", None, Some(e.code().to_string()), Some(e.to_string()))
            }
            Err(e) => {
                tracing::error!(refund = %refund_id, fee = %fee_id, code = e.code(), "CRITICAL: the provider refused a decided refund; pay back by hand");
                ("refused", None, Some(e.code().to_string()), Some(e.to_string()))
            }
        };
        // Never step back: a row another sender already moved past `pending` keeps its state.
        sqlx::query(
            "UPDATE provider_refunds SET status = $1, provider_refund_id = COALESCE($2, provider_refund_id), error_code = $3,
               error_message = $4, attempts = attempts + 1, updated_at = $5
             WHERE refund_id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(provider_id)
        .bind(code)
        .bind(message)
        .bind(now)
        .bind(&refund_id)
        .execute(db.pool())
        .await?;
        let fresh: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM provider_refunds WHERE refund_id = $1"))
            .bind(&refund_id)
            .fetch_one(db.pool())
            .await?;
        out.push(view(&fresh)?);
    }
    Ok(out)
}

/// After a command committed (or was answered from the log): sends its pending refunds.
pub async fn send_for_mutation(db: &Db, provider: &dyn PaymentProvider, mutation_id: Id) -> Result<Vec<ProviderRefund>, ServerError> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM provider_refunds WHERE mutation_id = $1 AND status = 'pending' ORDER BY refund_id"))
            .bind(id_str(mutation_id))
            .fetch_all(db.pool())
            .await?;
    send_rows(db, provider, rows).await
}

/// Sends every refund still pending (after a crash or a provider outage), same out_refund_no.
pub async fn resend_pending(db: &Db, provider: &dyn PaymentProvider) -> Result<Vec<ProviderRefund>, ServerError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM provider_refunds WHERE status = 'pending' ORDER BY refund_id"))
        .fetch_all(db.pool())
        .await?;
    send_rows(db, provider, rows).await
}

/// Asks the provider about refunds in `processing`; records those that succeeded.
pub async fn refresh_processing(db: &Db, provider: &dyn PaymentProvider) -> Result<usize, ServerError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT refund_id FROM provider_refunds WHERE status = 'processing'").fetch_all(db.pool()).await?;
    let mut done = 0;
    for (refund_id,) in rows {
        match provider.query_refund(&refund_id).await {
            Ok(acc) if acc.status == ProviderStatus::Success => {
                sqlx::query(
                    "UPDATE provider_refunds SET status = 'success', updated_at = $1 WHERE refund_id = $2 AND status = 'processing'",
                )
                .bind(ts(Utc::now()))
                .bind(&refund_id)
                .execute(db.pool())
                .await?;
                done += 1;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(refund = %refund_id, code = e.code(), "refund query failed; asking again later"),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap() // 2026-01-01
    }

    fn req(no: &str, tx: &str, total: i64, amount: i64) -> RefundRequest {
        RefundRequest { out_refund_no: no.into(), transaction_id: tx.into(), total_fen: total, refund_fen: amount, paid_at: paid() }
    }

    #[test]
    fn the_same_out_refund_no_again_answers_the_same_refund_and_pays_out_once() {
        let pay = SimWeChatPay::new();
        let now = paid() + Duration::days(3);
        let first = pay.refund_at(&req("R1", "T1", 2500, 2500), now).unwrap();
        let again = pay.refund_at(&req("R1", "T1", 2500, 2500), now).unwrap();
        assert_eq!(first, again);
        pay.settle();
        let third = pay.refund_at(&req("R1", "T1", 2500, 2500), now).unwrap();
        assert_eq!((third.refund_id, third.status), (first.refund_id, ProviderStatus::Success));
        pay.settle();
        assert_eq!(pay.payouts("T1"), 1);
        assert_eq!(pay.refund_calls(), 3);
    }

    #[test]
    fn refunds_never_exceed_the_amount_paid() {
        let pay = SimWeChatPay::new();
        let now = paid() + Duration::days(3);
        pay.refund_at(&req("R1", "T1", 2500, 1500), now).unwrap();
        let err = pay.refund_at(&req("R2", "T1", 2500, 1500), now).unwrap_err();
        assert_eq!(err, PayError::NotEnough);
        assert_eq!(err.code(), "NOT_ENOUGH");
        assert!(err.to_string().contains("退款金额超过订单可退金额"));
        pay.refund_at(&req("R3", "T1", 2500, 1000), now).expect("the rest still fits");
        pay.settle();
        assert_eq!(pay.payouts("T1"), 2);
    }

    #[test]
    fn no_refund_after_365_days_from_payment() {
        let pay = SimWeChatPay::new();
        assert!(pay.refund_at(&req("R1", "T1", 2500, 2500), paid() + Duration::days(365)).is_ok(), "day 365 still refunds");
        let err = pay.refund_at(&req("R2", "T2", 2500, 2500), paid() + Duration::days(365) + Duration::seconds(1)).unwrap_err();
        assert_eq!(err, PayError::RefundPeriodExpired);
        assert!(err.to_string().contains("订单已超过退款期限"));
        assert_eq!(pay.payouts("T2"), 0);
    }

    #[test]
    fn a_refund_is_processing_when_accepted_and_success_only_once_confirmed() {
        let pay = SimWeChatPay::new();
        let acc = pay.refund_at(&req("R1", "T1", 2500, 2500), paid()).unwrap();
        assert_eq!(acc.status, ProviderStatus::Processing);
        assert_eq!(pay.payouts("T1"), 0, "accepted is not refunded");
        let q = pay.query_now("R1").unwrap();
        assert_eq!(q.status, ProviderStatus::Success);
        assert_eq!(pay.payouts("T1"), 1);
        assert_eq!(pay.query_now("R1").unwrap().status, ProviderStatus::Success);
        assert_eq!(pay.payouts("T1"), 1);
        assert_eq!(pay.query_now("nope").unwrap_err(), PayError::NotFound);
    }

    #[test]
    fn an_outage_refuses_before_doing_anything_and_the_retry_pays_once() {
        let pay = SimWeChatPay::new();
        pay.fail_next(1);
        let err = pay.refund_at(&req("R1", "T1", 2500, 2500), paid()).unwrap_err();
        assert!(err.is_retryable());
        pay.refund_at(&req("R1", "T1", 2500, 2500), paid()).unwrap();
        pay.refund_at(&req("R1", "T1", 2500, 2500), paid()).unwrap();
        pay.settle();
        assert_eq!(pay.payouts("T1"), 1);
    }

    #[test]
    fn the_same_out_refund_no_with_other_parameters_is_refused() {
        let pay = SimWeChatPay::new();
        pay.refund_at(&req("R1", "T1", 2500, 1000), paid()).unwrap();
        assert!(matches!(pay.refund_at(&req("R1", "T1", 2500, 2000), paid()), Err(PayError::InvalidRequest(_))));
    }
}
