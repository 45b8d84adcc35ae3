//! Shared by the real-window tests: tauri-driver around the built app, waiting, screenshots.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// tauri-driver, stopped with SIGTERM so it also stops WebKitWebDriver.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

pub fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        cargo_bin
    } else {
        PathBuf::from("tauri-driver")
    }
}

pub async fn start(data_dir: &std::path::Path) -> (Driver, Client) {
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

pub async fn wait_for(client: &Client, css: &str, timeout: Duration) -> fantoccini::elements::Element {
    let started = Instant::now();
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            return e;
        }
        assert!(started.elapsed() < timeout, "{css} did not appear within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots").join(name)
}

/// Clicks the first element matching `css`, as a person would: scrolled into view first,
/// and again if something (a toast, a re-render) was in the way.
pub async fn click(client: &Client, css: &str) {
    let mut last = String::new();
    for _ in 0..10 {
        let el = wait_for(client, css, Duration::from_secs(20)).await;
        let arg = serde_json::to_value(&el).expect("element as script argument");
        let _ = client.execute("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", vec![arg]).await;
        match el.click().await {
            Ok(()) => return,
            Err(e) => last = format!("{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("click {css}: {last}");
}

/// Signs in on the sign-in screen and waits for the board.
pub async fn sign_in(client: &Client, login: &str, password: &str) {
    wait_for(client, "[data-testid=signin-login]", Duration::from_secs(120)).await.send_keys(login).await.unwrap();
    client.find(Locator::Css("[data-testid=signin-password]")).await.unwrap().send_keys(password).await.unwrap();
    click(client, "[data-testid=signin-submit]").await;
    wait_for(client, "[data-testid=doctor-header]", Duration::from_secs(30)).await;
}

/// Saves a screenshot of the window at the given size into docs/screenshots.
pub async fn shoot(client: &Client, name: &str, w: u32, h: u32) {
    client.set_window_size(w, h).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(screenshot_path(&format!("{name}-{w}x{h}.png")), client.screenshot().await.unwrap()).unwrap();
}

/// Waits until `css` matches nothing.
pub async fn wait_gone(client: &Client, css: &str, timeout: Duration) {
    let started = Instant::now();
    while client.find(Locator::Css(css)).await.is_ok() {
        assert!(started.elapsed() < timeout, "{css} still there after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the element's text satisfies `ok`, returning it.
pub async fn wait_text(client: &Client, css: &str, ok: impl Fn(&str) -> bool, timeout: Duration) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
            }
        }
        assert!(started.elapsed() < timeout, "{css} never had the expected text");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
