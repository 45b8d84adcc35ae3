use std::process::Command;

fn eye(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_clinicdesk-eye")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn cli_zscore_prints_machine_readable_json() {
    let (ok, out, err) =
        eye(&["zscore", "--reference", "sanz-diez-2022", "--sex", "F", "--age", "9.5", "--axial-length", "24.1", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["reference"], "sanz-diez-2022");
    assert_eq!(v["band"], "within");
    // Girls 9.5: M = 23.825, S = 0.0392.
    let z = (24.1 / 23.825 - 1.0) / 0.0392;
    assert!((v["z"].as_f64().unwrap() - z).abs() < 1e-9, "{v}");
    assert!(v["percentile"].as_f64().unwrap() > 60.0 && v["percentile"].as_f64().unwrap() < 70.0);
    let (ok, out, _) = eye(&["zscore", "--reference", "he-2023", "--sex", "M", "--age", "9", "--axial-length", "21.0", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((v["band"].as_str(), v["bound"].as_str(), v["z"].is_null()), (Some("below"), Some("P3"), true));
}

#[test]
fn cli_zscore_plain_text_and_errors() {
    let (ok, out, _) = eye(&["zscore", "--reference", "he-2023", "--sex", "M", "--age", "9", "--axial-length", "23.76", "--lang", "zh-CN"]);
    assert!(ok);
    assert_eq!(out.trim(), "z = +0.00; 处于同龄参考 P50 百分位（z = +0.00，He 2023（上海儿童，4–18 岁））");
    let (ok, _, err) = eye(&["zscore", "--reference", "sanz-diez-2022", "--sex", "F", "--age", "16", "--axial-length", "24"]);
    assert!(!ok && err.contains("covers ages 6–15"), "{err}");
    let (ok, _, err) = eye(&["zscore", "--sex", "X", "--age", "9", "--axial-length", "24"]);
    assert!(!ok && err.contains("usage:"), "{err}");
}
