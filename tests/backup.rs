//! Local backups of the desk database: whole, consistent copies taken while the desk works,
//! the newest kept, and a restore that keeps what it replaced.

mod common;

use chrono::{Duration, TimeZone, Utc};
use clinicdesk_app::backup;

async fn appointments(store: &clinicdesk_store::LocalStore) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments").fetch_one(store.pool()).await.unwrap();
    n
}

#[tokio::test]
async fn a_backup_is_a_whole_desk_database_and_only_the_newest_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let desk = common::demo_desk(dir.path(), "BJ01", "front.bj01").await;
    let expected = appointments(&desk.store).await;
    assert!(expected > 0);

    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    let first = backup::take(&desk.store, dir.path(), t0).await.unwrap();
    let copy = clinicdesk_store::open(&first, clinicdesk_store::OpenOptions::default()).await.unwrap();
    assert_eq!(appointments(&copy).await, expected, "the backup holds every appointment");
    assert_eq!(copy.outbox().await.unwrap(), desk.store.outbox().await.unwrap(), "and the outbox");
    copy.close().await;

    for h in 1..=(backup::KEEP as i64 + 3) {
        backup::take(&desk.store, dir.path(), t0 + Duration::hours(h)).await.unwrap();
    }
    let kept = backup::list(dir.path());
    assert_eq!(kept.len(), backup::KEEP, "older backups are pruned");
    assert!(kept[0].to_string_lossy().contains(&(t0 + Duration::hours(backup::KEEP as i64 + 3)).format("%Y%m%d-%H%M%S").to_string()));
    assert!(!first.exists(), "the oldest went first");
}

#[tokio::test]
async fn restoring_a_backup_keeps_the_database_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let desk = common::demo_desk(dir.path(), "BJ01", "front.bj01").await;
    let taken = backup::take(&desk.store, dir.path(), Utc::now()).await.unwrap();
    let before = appointments(&desk.store).await;
    desk.store.close().await;

    let db = dir.path().join("desk.sqlite3");
    let kept = backup::restore(&db, &taken, Utc::now()).unwrap();
    assert!(kept.exists(), "the replaced database is kept beside it");
    let reopened = clinicdesk_store::open(&db, clinicdesk_store::OpenOptions::default()).await.unwrap();
    assert_eq!(appointments(&reopened).await, before);
    assert!(backup::take_restore_marker(dir.path()), "the restore is noted for the desk's next start (sync renumbers)");
    assert!(!backup::take_restore_marker(dir.path()), "once");

    let not_a_db = dir.path().join("notes.txt");
    std::fs::write(&not_a_db, "hello, this is not a database").unwrap();
    let err = backup::restore(&db, &not_a_db, Utc::now()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "a file that is not a backup is refused");
    assert!(db.exists(), "and the database stays in place");
}
