//! First start of a desk on the embedded default: the database is created, the demo clinic
//! loaded once, the desk set up for its first store, and today's board has data.

use chrono::Utc;
use clinicdesk_app::backend::AppState;
use clinicdesk_domain::slots;

#[tokio::test]
async fn first_start_loads_the_demo_clinic_once_and_shows_todays_board() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new();
    state.init(dir.path()).await.unwrap();
    let ready = state.ready().await.unwrap();
    assert!(dir.path().join("desk.sqlite3").exists());

    let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
    let board = ready.store.board_day(ready.device.store_id, today, today).await.unwrap();
    assert_eq!(board.stores.len(), 3, "the demo chain has three stores");
    assert!(board.doctors.len() >= 5, "{}", board.doctors.len());
    assert!(!board.appointments.is_empty(), "the demo clinic has appointments today");
    assert!(board.doctors.iter().any(|d| !d.listed), "a doctor not yet in the store's order is on the board");
    let doctors_before = board.doctors.len();

    // The demo clinic's staff sign in with the demo password; anything else is refused alike.
    let staff = ready.store.sign_in("front.bj01", clinicdesk_demo::STAFF_PASSWORD).await.unwrap();
    assert_eq!(staff.role, clinicdesk_domain::roles::Role::Receptionist);
    assert_eq!(ready.store.sign_in("front.bj01", "wrong").await.unwrap_err().code(), "sign_in_failed");
    assert_eq!(ready.store.sign_in("nobody", clinicdesk_demo::STAFF_PASSWORD).await.unwrap_err().code(), "sign_in_failed");
    let (hashes,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM staff WHERE password_hash LIKE '$argon2id$%'").fetch_one(ready.store.pool()).await.unwrap();
    let (staff_count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff").fetch_one(ready.store.pool()).await.unwrap();
    assert_eq!(hashes, staff_count, "no plain-text passwords");
    ready.store.close().await;

    // A second start opens the same database and does not load the demo again.
    let again = AppState::new();
    again.init(dir.path()).await.unwrap();
    let ready2 = again.ready().await.unwrap();
    assert_eq!(ready2.device, ready.device, "the desk keeps its identity");
    let (tenants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenants").fetch_one(ready2.store.pool()).await.unwrap();
    assert_eq!(tenants, 1);
    let board2 = ready2.store.board_day(ready2.device.store_id, today, today).await.unwrap();
    assert_eq!(board2.doctors.len(), doctors_before);
}
