//! `clinicdesk-server [--listen 127.0.0.1:8787] [--database sqlite:path | postgres://…] [--demo]`
//!
//! Without `--database` the server keeps its data in the embedded SQLite file
//! `clinicdesk-server.db` and loads the demo chain into it on first start; `--demo` loads
//! the demo chain into any empty database (e.g. a fresh PostgreSQL one).

use anyhow::{bail, Context};
use clinicdesk_server::{App, Config};

struct Args {
    listen: String,
    database: Option<String>,
    demo: bool,
}

const USAGE: &str = "usage: clinicdesk-server [--listen 127.0.0.1:8787] [--database sqlite:path | postgres://…] [--demo]";

fn args() -> anyhow::Result<Args> {
    let mut out = Args { listen: "127.0.0.1:8787".into(), database: None, demo: false };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--listen" => out.listen = it.next().context("--listen needs an address")?,
            "--database" => out.database = Some(it.next().context("--database needs a URL")?),
            "--demo" => out.demo = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = args()?;
    let embedded = args.database.is_none();
    let database = args.database.unwrap_or_else(|| "sqlite:clinicdesk-server.db".into());
    let app = App::open(&Config::new(&database)).await.context("opening the database")?;
    if embedded || args.demo {
        let today = chrono::Utc::now().with_timezone(&clinicdesk_domain::slots::DEFAULT_TZ).date_naive();
        if app.load_demo_if_empty(today).await.context("loading the demo chain")? {
            tracing::info!("demo chain loaded (staff password: {})", clinicdesk_demo::STAFF_PASSWORD);
        }
    }
    if let Err(e) = app.reconcile_refunds().await {
        tracing::warn!(error = %e, "could not reconcile online refunds at start");
    }
    let reconciling = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            every.tick().await;
            if let Err(e) = reconciling.reconcile_refunds().await {
                tracing::warn!(error = %e, "could not reconcile online refunds");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, backend = app.db().backend().as_str(), "clinicdesk-server listening");
    app.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
