//! Local staff sign-in: Argon2id password hashes, and a limit on failed attempts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use clinicdesk_domain::model::Staff;
use clinicdesk_domain::roles::Role;
use password_hash::rand_core::OsRng;
use password_hash::SaltString;
use sqlx::Row;

use crate::{id_str, parse_id, LocalStore, StoreError};

/// Failures before a login is locked, and for how long.
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_FOR: Duration = Duration::from_secs(60);

/// An Argon2id hash in PHC form, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

/// Whether `password` matches the PHC-form Argon2 hash (desk and server sign-in).
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Counts failed sign-ins per login (in memory, per desk process).
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: HashMap<String, (u32, Instant)>,
}

impl SignInLimiter {
    /// Seconds still locked, if the login is locked at `now`.
    pub fn locked_for(&self, login: &str, now: Instant) -> Option<u64> {
        let (count, last) = self.failures.get(login)?;
        let until = *last + LOCK_FOR;
        (*count >= MAX_FAILURES && now < until).then(|| (until - now).as_secs().max(1))
    }
    pub fn failed(&mut self, login: &str, now: Instant) {
        let entry = self.failures.entry(login.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= LOCK_FOR {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.1 = now;
    }
    pub fn succeeded(&mut self, login: &str) {
        self.failures.remove(login);
    }
}

impl LocalStore {
    /// Sets one staff member's password (or everyone's, for the demo clinic).
    pub async fn set_password(&self, login: Option<&str>, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password);
        match login {
            Some(l) => sqlx::query("UPDATE staff SET password_hash = ? WHERE login = ?").bind(&hash).bind(l).execute(&self.pool).await?,
            None => sqlx::query("UPDATE staff SET password_hash = ?").bind(&hash).execute(&self.pool).await?,
        };
        Ok(())
    }

    /// The staff member with this login and password. Wrong login and wrong password give
    /// the same error, after the same work (a hash is always verified).
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<Staff, StoreError> {
        let row = sqlx::query("SELECT * FROM staff WHERE login = ?").bind(login.trim()).fetch_optional(&self.pool).await?;
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9b5E0Qd0b1mW4rJ6o2G0yE8d6Bq0x8Zk0J7mJ9n1c2Q";
        let hash: Option<String> = match &row {
            Some(r) => r.try_get("password_hash")?,
            None => None,
        };
        let ok = verify(password, hash.as_deref().unwrap_or(DUMMY)) && hash.is_some();
        let Some(r) = row.filter(|_| ok) else {
            return Err(StoreError::SignInFailed);
        };
        Ok(Staff {
            id: parse_id(r.try_get("id")?)?,
            tenant_id: parse_id(r.try_get("tenant_id")?)?,
            name: r.try_get("name")?,
            login: r.try_get("login")?,
            role: Role::parse(r.try_get("role")?).ok_or_else(|| StoreError::Corrupt("role".into()))?,
            store_ids: serde_json::from_str(r.try_get("store_ids")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            doctor_id: r.try_get::<Option<String>, _>("doctor_id")?.map(|d| parse_id(&d)).transpose()?,
        })
    }

    /// A staff member by id (to restore a session).
    pub async fn staff(&self, staff_id: clinicdesk_domain::model::Id) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT login FROM staff WHERE id = ?").bind(id_str(staff_id)).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failed_sign_ins_lock_the_login_for_a_minute() {
        let mut l = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..4 {
            l.failed("front", t0 + Duration::from_secs(i));
            assert_eq!(l.locked_for("front", t0 + Duration::from_secs(i)), None);
        }
        l.failed("front", t0 + Duration::from_secs(5));
        assert!(l.locked_for("front", t0 + Duration::from_secs(6)).is_some());
        assert_eq!(l.locked_for("other", t0 + Duration::from_secs(6)), None, "per login");
        assert_eq!(l.locked_for("front", t0 + Duration::from_secs(66)), None, "unlocked after a minute");
        l.succeeded("front");
        assert_eq!(l.locked_for("front", t0 + Duration::from_secs(7)), None);
    }

    #[test]
    fn passwords_are_stored_as_salted_argon2id_hashes() {
        let a = hash_password("demo1234");
        let b = hash_password("demo1234");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("demo1234", &a));
        assert!(!verify("demo1235", &a));
    }
}
