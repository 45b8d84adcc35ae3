//! The real app window: the built binary, driven through tauri-driver and WebKitWebDriver
//! under Xvfb (run by `make test` as `xvfb-run`). First start on an empty data folder loads
//! the demo clinic and shows today's board of the desk's store.

mod common;

use std::time::Duration;

use common::{screenshot_path, start, wait_for, wait_text};
use fantoccini::Locator;

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
    // The first sign-in waits for the demo import to finish (longer on a loaded CI machine).
    let error = wait_for(&client, "[data-testid=signin-error]", Duration::from_secs(120)).await;
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
    // The language switches at once, without a restart, and the backend answers in it too.
    client.set_window_size(1920, 1080).await.unwrap();
    let pick = |lang: &'static str| {
        let client = client.clone();
        async move {
            let select = client.find(Locator::XPath("//select[option[@value='en']]")).await.unwrap();
            select.select_by_value(lang).await.unwrap();
        }
    };
    pick("en").await;
    wait_text(&client, "[data-testid=signout]", |t| t.contains("Sign out"), Duration::from_secs(5)).await;
    std::fs::write(screenshot_path("board-en-1920x1080.png"), client.screenshot().await.unwrap()).unwrap();
    pick("zh-TW").await;
    wait_text(&client, "[data-testid=signout]", |t| t.contains("登出"), Duration::from_secs(5)).await;
    pick("en").await;
    wait_text(&client, "[data-testid=signout]", |t| t.contains("Sign out"), Duration::from_secs(5)).await;

    // Signing out returns to the sign-in screen; a wrong password is now refused in English.
    client.find(Locator::Css("[data-testid=signout]")).await.unwrap().click().await.unwrap();
    wait_for(&client, "[data-testid=signin-login]", Duration::from_secs(10)).await.send_keys("front.bj01").await.unwrap();
    client.find(Locator::Css("[data-testid=signin-password]")).await.unwrap().send_keys("nope").await.unwrap();
    client.find(Locator::Css("[data-testid=signin-submit]")).await.unwrap().click().await.unwrap();
    wait_text(&client, "[data-testid=signin-error]", |t| t.contains("Wrong login or password"), Duration::from_secs(10)).await;
    pick("zh-CN").await;
    client.close().await.unwrap();
}
