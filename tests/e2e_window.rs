//! The real app window: the built binary, driven through tauri-driver and WebKitWebDriver
//! under Xvfb (run by `make test` as `xvfb-run`). First start on an empty data folder loads
//! the demo clinic and shows today's board of the desk's store.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// tauri-driver, stopped with SIGTERM so it also stops WebKitWebDriver.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        cargo_bin
    } else {
        PathBuf::from("tauri-driver")
    }
}

async fn start(data_dir: &std::path::Path) -> (Driver, Client) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "the window tests need a display: run them under `xvfb-run -a -s \"-screen 0 1920x1080x24\"` (make test does)"
    );
    let port = free_port();
    let native = free_port();
    let child = Command::new(tauri_driver())
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("CLINICDESK_DATA_DIR", data_dir)
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .spawn()
        .expect("tauri-driver is installed (cargo install tauri-driver --version '^2' --locked; .ci/run does)");
    let driver = Driver(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "tauri-driver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), serde_json::json!({ "application": env!("CARGO_BIN_EXE_clinicdesk") }));
    caps.insert("browserName".into(), serde_json::json!("wry"));
    let client = ClientBuilder::native().capabilities(caps).connect(&format!("http://127.0.0.1:{port}")).await.expect("webdriver session");
    (driver, client)
}

async fn wait_for(client: &Client, css: &str, timeout: Duration) -> fantoccini::elements::Element {
    let started = Instant::now();
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            return e;
        }
        assert!(started.elapsed() < timeout, "{css} did not appear within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots").join(name)
}

#[tokio::test]
async fn the_window_opens_on_todays_board_of_the_demo_clinic() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: tauri-driver drives the real window on Linux (WebKitGTK) only; run this test there");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let (_driver, client) = start(data.path()).await;
    // First start loads the demo clinic (a few seconds in a debug build), then asks who is at the desk.
    let login = wait_for(&client, "[data-testid=signin-login]", Duration::from_secs(120)).await;
    for (w, h) in [(1024u32, 768u32), (1920, 1080)] {
        client.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        std::fs::write(screenshot_path(&format!("signin-{w}x{h}.png")), client.screenshot().await.unwrap()).unwrap();
    }
    login.send_keys("front.bj01").await.unwrap();
    let password = client.find(Locator::Css("[data-testid=signin-password]")).await.unwrap();
    password.send_keys("wrong-password").await.unwrap();
    client.find(Locator::Css("[data-testid=signin-submit]")).await.unwrap().click().await.unwrap();
    let error = wait_for(&client, "[data-testid=signin-error]", Duration::from_secs(20)).await;
    let text = error.text().await.unwrap();
    assert!(text.contains("账号或密码错误"), "a wrong password is refused in Chinese: {text}");
    let password = client.find(Locator::Css("[data-testid=signin-password]")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys("demo1234").await.unwrap();
    client.find(Locator::Css("[data-testid=signin-submit]")).await.unwrap().click().await.unwrap();
    wait_for(&client, "[data-testid=doctor-header]", Duration::from_secs(30)).await;
    let headers = client.find_all(Locator::Css("[data-testid=doctor-header]")).await.unwrap();
    assert!(headers.len() >= 5, "doctor columns: {}", headers.len());
    let first = headers[0].text().await.unwrap();
    assert!(first.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "doctor names in Chinese: {first}");
    let last = headers.last().unwrap().text().await.unwrap();
    assert!(last.contains("未排序"), "a doctor not yet in the store's order is last and marked: {last}");
    let cards = client.find_all(Locator::Css("[data-testid=appointment]")).await.unwrap();
    assert!(!cards.is_empty(), "today's appointments are on the board");
    let requests = client.find(Locator::Css("[data-testid=open-requests]")).await.unwrap().text().await.unwrap();
    assert!(requests.trim().parse::<u32>().is_ok(), "open cancellation requests shown as a count: {requests}");

    for (w, h) in [(1920u32, 1080u32), (1024, 768)] {
        client.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshot_path(&format!("board-{w}x{h}.png")), png).unwrap();
    }
    // Signing out returns to the sign-in screen.
    client.find(Locator::Css("[data-testid=signout]")).await.unwrap().click().await.unwrap();
    wait_for(&client, "[data-testid=signin-login]", Duration::from_secs(10)).await;
    client.close().await.unwrap();
}
