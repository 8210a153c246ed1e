//! `create` (and the bare `devin-handoff TASK`): the pipeline's plan, the go-ahead, then
//! delivery, and what is printed of it.

use crate::api::types::Session;
use crate::api::Client;
use crate::api::KeyFlavor;
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::pipeline::{self, Delivered, Plan};
use crate::prompt::Composed;
use crate::settings::Settings;
use crate::ui;

/// Runs `create` from the current directory. Capture, guard and questions run before the
/// async runtime starts: only the API calls need it.
pub fn run(args: &CreateArgs, settings: &Settings) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::other(format!("cannot read the current directory: {e}")).with_source(e)
    })?;
    let req = args.request(cwd);
    let mut ui = ui::prompt::interaction(settings.out);
    let plan = pipeline::plan(&req, settings, ui.as_mut())?;
    warn_v1_fields(settings);
    if req.dry_run {
        return print_dry_run(settings, &plan);
    }
    plan.approve(req.yes, ui.as_mut())?;
    crate::commands::block_on(async {
        let mut client = settings.client()?;
        let delivered = pipeline::deliver(plan, &mut client, &settings.out, req.new).await?;
        finish(args, settings, &mut client, &delivered).await
    })
}

/// `--user-id` and `--mode` mean nothing to the v1 route.
fn warn_v1_fields(settings: &Settings) {
    let v1 = settings
        .known_key()
        .is_some_and(|k| k.flavor() == KeyFlavor::V1);
    if settings.user_id.is_some() && v1 {
        ui::warn("--user-id and --mode apply to v3 keys only; the v1 route ignores them");
    }
}

/// Reports the session, then opens it and waits for it as asked.
async fn finish(
    args: &CreateArgs,
    settings: &Settings,
    client: &mut Client,
    d: &Delivered,
) -> Result<()> {
    if d.reused {
        ui::note(&format!(
            "an identical handoff is still running as {}; not creating another (--new forces one)",
            d.session.session_id
        ));
    }
    print_created(settings, &d.session, &d.composed, d.reused)?;
    if args.open {
        ui::open_in_browser(&d.session.web_url());
    }
    if args.wait {
        let watch = super::sessions::Watch {
            id: d.session.session_id.clone(),
            interval: args.interval,
            wait_timeout: None,
        };
        super::sessions::watch(client, settings, &watch).await?;
    }
    Ok(())
}

fn print_dry_run(settings: &Settings, plan: &Plan) -> Result<()> {
    let v = plan.dry_run_value(settings)?;
    let (route, upload_route) = (&v["route"], &v["upload"]["route"]);
    let composed = &plan.composed;
    settings.out.result(&v, || {
        // Sizes in the summary's units (B, KiB, MiB), so the two can be compared.
        if let Some(bytes) = plan.upload {
            ui::note(&format!(
                "dry run: the patch ({}) would be uploaded first ({})",
                ui::human_bytes(bytes),
                upload_route.as_str().unwrap_or_default()
            ));
        }
        ui::note(&format!(
            "dry run: nothing was sent. The prompt below ({}) would go to {}.",
            ui::human_bytes(composed.prompt.len()),
            route.as_str().unwrap_or_default()
        ));
        let _paging = settings.out.page();
        ui::print_stdout(&composed.prompt)
    })
}

fn print_created(
    settings: &Settings,
    session: &Session,
    composed: &Composed,
    reused: bool,
) -> Result<()> {
    let url = session.web_url();
    let v = pipeline::created_value(session, composed, reused);
    settings.out.result(&v, || {
        if !reused {
            eprintln!(
                "{} Created Devin session {}",
                console::style("✓").green(),
                ui::clean_line(&session.session_id)
            );
        }
        ui::print_stdout(&format!("{url}\n"))
    })
}
