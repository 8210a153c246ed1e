//! Ctrl-C outside the async runtime: the terminal is given back (cursor shown) and the
//! program ends with 130. Inside the runtime, `commands::block_on` handles it, so that a
//! create on its way can say what may have happened.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set while the async runtime owns interrupts.
static ASYNC_OWNS: AtomicBool = AtomicBool::new(false);

/// Installs the handler, once, at the start of a run. Without one, a question that leaves
/// the cursor hidden (dialoguer hides it while a question is drawn) would leave the shell
/// without a cursor when Ctrl-C kills the process.
#[cfg(unix)]
pub fn install() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]) else {
        return;
    };
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if ASYNC_OWNS.load(Ordering::SeqCst) {
                continue;
            }
            // The main thread may be reporting the interrupt itself (a question returns it
            // as an error): give it a moment to do so and exit with its own message.
            std::thread::sleep(std::time::Duration::from_millis(150));
            super::prompt::restore_terminal();
            std::process::exit(130);
        }
    });
}

/// Elsewhere Ctrl-C ends the process as the system does.
#[cfg(not(unix))]
pub fn install() {}

/// Resolves when the run is asked to stop: Ctrl-C (SIGINT), and on Unix SIGTERM and SIGHUP,
/// which agent and CI timeouts send. All three end a run the same way: what is on its way is
/// said and journaled, temporary files are removed, exit 130.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// While alive, interrupts are the async runtime's.
#[derive(Debug)]
pub struct AsyncOwnsInterrupts;

impl AsyncOwnsInterrupts {
    pub fn claim() -> AsyncOwnsInterrupts {
        ASYNC_OWNS.store(true, Ordering::SeqCst);
        AsyncOwnsInterrupts
    }
}

impl Drop for AsyncOwnsInterrupts {
    fn drop(&mut self) {
        ASYNC_OWNS.store(false, Ordering::SeqCst);
    }
}
