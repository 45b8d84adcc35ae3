//! `clinicdesk-eye zscore --reference sanz-diez-2022|he-2023 --sex F|M --age 9.5
//! --axial-length 24.1 [--json] [--lang zh-CN|zh-TW|en]`

use std::process::ExitCode;

use clinicdesk_domain::model::Sex;
use clinicdesk_domain::Lang;
use clinicdesk_eyecare::reference::{assess, describe, Band, ReferenceId};

const USAGE: &str = "usage: clinicdesk-eye zscore --reference sanz-diez-2022|he-2023 --sex F|M --age YEARS --axial-length MM [--json] [--lang zh-CN|zh-TW|en]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let Some((cmd, rest)) = args.split_first() else { return Err("missing command".into()) };
    if cmd != "zscore" {
        return Err(format!("unknown command {cmd:?}"));
    }
    let (mut reference, mut sex, mut age, mut al, mut json, mut lang) = (None, None, None, None, false, Lang::En);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--reference" => reference = Some(ReferenceId::parse(&value()?).ok_or("unknown reference")?),
            "--sex" => {
                sex = Some(match value()?.to_ascii_uppercase().as_str() {
                    "F" => Sex::Female,
                    "M" => Sex::Male,
                    other => return Err(format!("sex must be F or M, not {other:?}")),
                })
            }
            "--age" => age = Some(value()?.parse::<f64>().map_err(|e| format!("--age: {e}"))?),
            "--axial-length" => al = Some(value()?.parse::<f64>().map_err(|e| format!("--axial-length: {e}"))?),
            "--lang" => lang = Lang::parse(&value()?).ok_or("unknown language")?,
            "--json" => json = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let (Some(sex), Some(age), Some(al)) = (sex, age, al) else { return Err("--sex, --age and --axial-length are required".into()) };
    let reference = reference.unwrap_or_else(|| clinicdesk_eyecare::default_for_age(age));
    let a = assess(reference, sex, age, al).map_err(|e| e.message(lang))?;
    if json {
        let (band, bound) = match a.band {
            Band::Below { bound } => ("below", Some(bound)),
            Band::Within => ("within", None),
            Band::Above { bound } => ("above", Some(bound)),
        };
        let v = serde_json::json!({
            "reference": reference.slug(),
            "sex": if sex == Sex::Female { "F" } else { "M" },
            "age": age,
            "axial_length_mm": al,
            "z": a.z,
            "percentile": a.percentile,
            "band": band,
            "bound": bound,
        });
        Ok(v.to_string())
    } else {
        let z = a.z.map(|z| format!("{z:+.2}")).unwrap_or_else(|| "n/a".into());
        Ok(format!("z = {z}; {}", describe(&a, lang)))
    }
}
