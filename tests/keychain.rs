//! The desk's server token lives in the OS keychain and nowhere else (on Linux the kernel
//! keyring: `make test` runs the tests inside `keyctl session -`, as a desktop session would).

use clinicdesk_app::commands::sync::SyncPhase;
use clinicdesk_app::keychain;
use clinicdesk_app::sync::{ServerLink, Syncer};

#[tokio::test]
async fn the_server_token_is_kept_in_the_keychain_and_never_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let syncer = Syncer::new();
    syncer.attach(dir.path(), "D000001").await;
    assert_eq!(syncer.view().await.state, SyncPhase::LocalOnly, "a desk without a server works locally");

    let token = format!("cdt_{}", uuid::Uuid::new_v4().simple());
    let account = format!("{}@http://127.0.0.1:9/", uuid::Uuid::now_v7());
    let link = ServerLink {
        url: "http://127.0.0.1:9/".into(),
        account: account.clone(),
        server_device_id: uuid::Uuid::now_v7(),
        staff_name: "店长".into(),
    };
    syncer.connect(link.clone(), &token).await.expect("the keychain takes the token");

    assert_eq!(keychain::load(&account).unwrap().as_deref(), Some(token.as_str()), "the keychain gives the token back");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&text).contains(&token), "no file of the desk holds the token");
    }
    let again = Syncer::new();
    again.attach(dir.path(), "D000001").await;
    assert_eq!(again.link().await, Some(link), "the link survives a restart");
    assert_eq!(again.view().await.server_url.as_deref(), Some("http://127.0.0.1:9/"));

    again.disconnect().await;
    assert_eq!(keychain::load(&account).unwrap(), None, "disconnecting forgets the token");
    assert!(!dir.path().join("server.json").exists());
    assert_eq!(again.view().await.state, SyncPhase::LocalOnly);
}
