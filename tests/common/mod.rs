//! Shared by the real-window tests: tauri-driver around the built app, waiting, screenshots.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::Utc;
use clinicdesk_domain::model::Id;
use clinicdesk_domain::roles::Actor;
use clinicdesk_domain::slots;
use clinicdesk_store::{Device, LocalStore, OpenOptions};
use fantoccini::{Client, ClientBuilder, Locator};
use uuid::Uuid;

/// A store of the demo clinic as this desk, signed-in-able with the demo password, with one of
/// its staff as the actor and every free slot of today by department and doctor.
pub struct Desk {
    pub store: LocalStore,
    pub device: Device,
    pub actor: Actor,
    pub chain: clinicdesk_demo::DemoChain,
    pub store_id: Id,
    pub free: Vec<(Id, Id, Vec<clinicdesk_store::booking::SlotOption>)>,
}

/// The demo clinic (size 0.3) in `dir/desk.sqlite3`, this desk set up for `store_code`, acting as `login`.
pub async fn demo_desk(dir: &std::path::Path, store_code: &str, login: &str) -> Desk {
    let store = clinicdesk_store::open(&dir.join("desk.sqlite3"), OpenOptions::default()).await.unwrap();
    let today = slots::local_date(slots::DEFAULT_TZ, Utc::now());
    let chain = clinicdesk_demo::generate(&clinicdesk_demo::DemoConfig { seed: 2026, size: 0.3, today });
    store.import_chain(&chain.world, &chain.history, &chain.exams, &chain.corrections).await.unwrap();
    store.set_password(None, chain.staff_password).await.unwrap();
    let store_id = chain.world.stores.values().find(|s| s.code == store_code).unwrap().id;
    let device = store.set_up_device(store_id, Uuid::now_v7()).await.unwrap();
    let staff = chain.world.staff.values().find(|s| s.login == login).unwrap();
    let actor = Actor::Staff { staff_id: staff.id, name: staff.name.clone(), role: staff.role, store_ids: staff.store_ids.clone() };
    let mut free = Vec::new();
    for dep in store.booking_options(store_id, today, None).await.unwrap().departments {
        let dep_id: Id = dep.id.parse().unwrap();
        for doc in store.booking_options(store_id, today, Some(dep_id)).await.unwrap().doctors {
            free.push((dep_id, doc.id.parse().unwrap(), doc.slots));
        }
    }
    Desk { store, device, actor, chain, store_id, free }
}

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
        // Printed documents go here instead of the user's Documents folder.
        .env("CLINICDESK_DOCUMENTS_DIR", data_dir.join("documents"))
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .spawn()
        .expect("tauri-driver is installed (cargo install tauri-driver --version '^2' --locked; .ci/run does)");
    let driver = Driver(child);
    let started = Instant::now();
    // tauri-driver passes the session request on to the WebKit driver it starts on the native
    // port; a request sent before that one listens is dropped (a CI run failed so).
    for p in [port, native] {
        while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), serde_json::json!({ "application": env!("CARGO_BIN_EXE_clinicdesk") }));
    caps.insert("browserName".into(), serde_json::json!("wry"));
    let mut attempt = 1;
    let client = loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => break client,
            Err(e) if attempt < 3 => {
                eprintln!("webdriver session, attempt {attempt}: {e}; trying again");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("webdriver session: {e}"),
        }
    };
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

/// A picture of the whole X screen (`xwd -root`) as PNG into docs/screenshots. For windows
/// where WebKitWebDriver's own screenshot stalls (it does, here, for the eye record in a
/// window wider than about 1100 px once a patient is open).
pub fn x_screenshot(name: &str) {
    let out = Command::new("xwd").args(["-root", "-silent"]).output().expect("xwd (x11-apps) is installed; .ci/run installs it");
    assert!(out.status.success(), "xwd failed: {}", String::from_utf8_lossy(&out.stderr));
    let png = xwd_to_png(&out.stdout);
    std::fs::write(screenshot_path(&format!("{name}.png")), png).unwrap();
}

/// An XWD file (ZPixmap, 24/32 bits per pixel, as Xvfb writes it) as an RGB PNG.
fn xwd_to_png(xwd: &[u8]) -> Vec<u8> {
    let field = |i: usize| u32::from_be_bytes(xwd[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
    let (header_size, width, height) = (field(0), field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line, ncolors) = (field(7), field(11), field(12), field(19));
    assert!(bits_per_pixel == 32 || bits_per_pixel == 24, "xwd: {bits_per_pixel} bits per pixel");
    let (red_mask, green_mask, blue_mask) = (field(14) as u32, field(15) as u32, field(16) as u32);
    let data = &xwd[header_size + ncolors * 12..];
    let step = bits_per_pixel / 8;
    let channel = |pixel: u32, mask: u32| ((pixel & mask) >> mask.trailing_zeros()) as u8;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        let row = &data[y * bytes_per_line..];
        for x in 0..width {
            let p = &row[x * step..x * step + step];
            let mut b = [0u8; 4];
            b[..step].copy_from_slice(p);
            let pixel = if byte_order == 0 { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) >> (8 * (4 - step)) };
            rgb.extend_from_slice(&[channel(pixel, red_mask), channel(pixel, green_mask), channel(pixel, blue_mask)]);
        }
    }
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, width as u32, height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&rgb).unwrap();
    }
    png
}
