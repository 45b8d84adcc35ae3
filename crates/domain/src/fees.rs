//! Registration fees: charging status, refund authority, refund-then-cancel, the 365-day
//! online refund limit, and slip numbers that stay unique offline (DOMAIN.md §6).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::{Fee, Id, PayMethod, Refund, RefundAuthority};

/// WeChat Pay refuses refunds of payments older than this.
pub const ONLINE_REFUND_DAYS: i64 = 365;

/// Where a command was issued: the refund right is checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A front-desk device of a store.
    Desk { store_id: Id, device_code: String },
    /// The central server (patient app, payment provider).
    Server,
}

/// The refund authority a payment gets when it is made: desk methods belong to the paying
/// store's desks, online methods to the server.
pub fn authority_for(method: PayMethod, store_id: Id) -> RefundAuthority {
    if method.is_online() {
        RefundAuthority::Server
    } else {
        RefundAuthority::Desk { store_id }
    }
}

/// Whether the side that issued a command holds this fee's refund right.
pub fn check_authority(fee: &Fee, origin: &Origin) -> Result<(), DomainError> {
    match (fee.authority, origin) {
        (Some(RefundAuthority::Desk { store_id }), Origin::Desk { store_id: here, device_code }) if store_id == *here => {
            match &fee.collected_by {
                Some(desk) if desk != device_code => Err(DomainError::RefundAtCollectingDesk { desk: desk.clone() }),
                _ => Ok(()),
            }
        }
        (Some(RefundAuthority::Server), Origin::Server) => Ok(()),
        (Some(RefundAuthority::Server), _) => Err(DomainError::NotRefundAuthority { online: true }),
        (Some(RefundAuthority::Desk { .. }), _) => Err(DomainError::NotRefundAuthority { online: false }),
        (None, _) => Err(DomainError::NotCharged),
    }
}

/// A fee of `store_id` paid at a desk before desks were recorded: charged, the store's desks'
/// to refund, no collecting desk. The server gives such fees to one desk
/// (`fee.assign_refund_desk@1`); the caller checks it has no refund yet.
pub fn awaits_refund_desk(fee: &Fee, store_id: Id) -> bool {
    fee.store_id == store_id
        && fee.status == crate::model::ChargeStatus::Charged
        && fee.authority == Some(RefundAuthority::Desk { store_id })
        && fee.collected_by.is_none()
}

/// A fee that was charged and not refunded blocks cancelling: refund first.
pub fn check_cancellable(fee: Option<&Fee>, refund: Option<&Refund>) -> Result<(), DomainError> {
    match fee {
        Some(f) if f.status == crate::model::ChargeStatus::Charged && refund.is_none() => Err(DomainError::RefundFirst { fee_id: f.id }),
        _ => Ok(()),
    }
}

/// A fee can be refunded once: it must be charged and have no refund yet.
pub fn check_refundable(fee: &Fee, existing: Option<&Refund>) -> Result<(), DomainError> {
    if let Some(r) = existing {
        return Err(DomainError::AlreadyRefunded { number: r.number.clone() });
    }
    if fee.status != crate::model::ChargeStatus::Charged {
        return Err(DomainError::NotCharged);
    }
    Ok(())
}

/// Whether the provider still refunds this payment: payments with a WeChat part expire
/// 365 days after payment; pure points payments never do.
pub fn online_refund_expired(fee: &Fee, now: DateTime<Utc>) -> bool {
    match fee.paid_at {
        Some(paid) if fee.wechat_paid.0 > 0 => now > paid + Duration::days(ONLINE_REFUND_DAYS),
        _ => false,
    }
}

/// A refund slip number: unique because `serial` is unique per command (store, device and the
/// device's gap-free sequence on a desk; the server's sequence on the server).
pub fn refund_number(serial: &str) -> String {
    format!("TK-{serial}")
}

/// A receipt number, unique the same way.
pub fn receipt_number(serial: &str) -> String {
    format!("SJ-{serial}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::money::Fen;
    use chrono::TimeZone;

    fn fee(method: PayMethod, wechat: i64, paid: DateTime<Utc>) -> Fee {
        let store = Id::from_u128(1);
        Fee {
            id: Id::from_u128(5),
            appointment_id: Id::from_u128(6),
            store_id: store,
            amount: Fen(2500),
            status: ChargeStatus::Charged,
            method: Some(method),
            wechat_paid: Fen(wechat),
            paid_at: Some(paid),
            authority: Some(authority_for(method, store)),
            receipt_no: None,
            refund_requested_at: None,
            collected_by: None,
        }
    }

    #[test]
    fn desk_fees_are_refunded_by_their_store_desks_online_fees_by_the_server_only() {
        let paid = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let here = Origin::Desk { store_id: Id::from_u128(1), device_code: "D1".into() };
        let other_store = Origin::Desk { store_id: Id::from_u128(2), device_code: "D9".into() };
        let cases = [
            (PayMethod::Cash, &here, Ok(())),
            (PayMethod::Card, &here, Ok(())),
            (PayMethod::Cash, &other_store, Err("not_refund_authority")),
            (PayMethod::Cash, &Origin::Server, Err("not_refund_authority")),
            (PayMethod::WechatApp, &Origin::Server, Ok(())),
            (PayMethod::WechatApp, &here, Err("not_refund_authority")),
            (PayMethod::Points, &Origin::Server, Ok(())),
        ];
        for (method, origin, expected) in cases {
            let f = fee(method, 2500, paid);
            assert_eq!(check_authority(&f, origin).map_err(|e| e.code()), expected, "{method:?} from {origin:?}");
        }
    }

    #[test]
    fn online_refunds_expire_after_365_days_unless_paid_purely_with_points() {
        let paid = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
        let cases = [
            ("day 365 exactly", paid + Duration::days(365), 2500, false),
            ("one second past", paid + Duration::days(365) + Duration::seconds(1), 2500, true),
            ("two years, points only", paid + Duration::days(730), 0, false),
            ("mixed wechat and points", paid + Duration::days(400), 100, true),
        ];
        for (name, now, wechat, expired) in cases {
            assert_eq!(online_refund_expired(&fee(PayMethod::WechatApp, wechat, paid), now), expired, "{name}");
        }
    }

    #[test]
    fn a_fee_is_refunded_at_most_once() {
        let f = fee(PayMethod::Cash, 0, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert!(check_refundable(&f, None).is_ok());
        let r = Refund {
            id: Id::from_u128(8),
            fee_id: f.id,
            number: "TK-X".into(),
            amount: f.amount,
            kind: RefundKind::DeskCash,
            at: f.paid_at.unwrap(),
            actor: "x".into(),
            reason: "r".into(),
        };
        assert_eq!(check_refundable(&f, Some(&r)).unwrap_err().code(), "already_refunded");
        let mut unpaid = f.clone();
        unpaid.status = ChargeStatus::Pending;
        assert_eq!(check_refundable(&unpaid, None).unwrap_err().code(), "not_charged");
    }

    #[test]
    fn a_charged_unrefunded_fee_blocks_cancelling() {
        let f = fee(PayMethod::Cash, 0, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(check_cancellable(Some(&f), None).unwrap_err().code(), "refund_first");
        assert!(check_cancellable(None, None).is_ok());
        let mut pending = f.clone();
        pending.status = ChargeStatus::Pending;
        assert!(check_cancellable(Some(&pending), None).is_ok(), "an uncharged bill does not block");
    }

    #[test]
    fn slip_numbers_carry_the_unique_serial() {
        assert_eq!(refund_number("BJ01-D2-000017"), "TK-BJ01-D2-000017");
        assert_eq!(receipt_number("SRV-991"), "SJ-SRV-991");
        assert_ne!(refund_number("BJ01-D2-000017"), refund_number("BJ01-D3-000017"));
    }
}
