//! `netproxy UPSTREAM [CONDITIONS]`: runs a [`NetProxy`] on `127.0.0.1:0` in front of `UPSTREAM`
//! (`127.0.0.1:3000` or `http://127.0.0.1:3000`) until stdin closes or it is killed, for tests in
//! other languages (the browser tests). Prints `listening on http://127.0.0.1:PORT`, then a
//! `stats connections=N bytes=N stalled=N cut=N` line every second.
//!
//! ```text
//! netproxy 127.0.0.1:3000 delay=80ms,jitter=30ms,stall=500ms/10s
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tickstate_testkit::{NetConditions, NetProxy};
use tokio::io::AsyncReadExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(upstream) = args.next() else {
        eprintln!("usage: netproxy UPSTREAM [delay=80ms,jitter=30ms,bw=2mbit,stall=500ms/10s,seed=N]");
        return ExitCode::from(2);
    };
    let hostport = upstream.trim_start_matches("http://").trim_end_matches('/');
    let upstream: SocketAddr = match hostport.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("netproxy: bad upstream {hostport:?}: {e}");
            return ExitCode::from(2);
        }
    };
    let cond: NetConditions = match args.next().unwrap_or_default().parse() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netproxy: {e}");
            return ExitCode::from(2);
        }
    };
    let proxy = match NetProxy::start(upstream, cond).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("netproxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", proxy.url());
    let _ = std::io::stdout().flush();
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    let report = async {
        let mut iv = tokio::time::interval(Duration::from_secs(1));
        loop {
            iv.tick().await;
            let s = proxy.stats();
            println!(
                "stats connections={} bytes={} stalled={} cut={}",
                s.connections.load(Relaxed),
                s.bytes.load(Relaxed),
                s.stalled_chunks.load(Relaxed),
                s.cut.load(Relaxed)
            );
            let _ = std::io::stdout().flush();
        }
    };
    tokio::select! {
        () = stdin_closed => {}
        () = report => {}
    }
    ExitCode::SUCCESS
}
