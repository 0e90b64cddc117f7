//! The operator endpoints (`/stats`, `/stats/clients`, `/metrics`) live on their own listener: the
//! game port answers 404 for them, the operator port serves them, a bearer token guards them when
//! configured, and the binary refuses an operator address open to the network without a token.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use tickstate_server::ServerConfig;
use tickstate_testkit::{TestServer, get, get_with};

const OPERATOR_PATHS: [&str; 3] = ["/stats", "/stats/clients", "/metrics"];
const TOKEN: &str = "s3cret-operator-token-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_endpoints_are_not_on_the_game_port() {
    let server = TestServer::start().await;
    let _ada = server.connect("Ada").await;
    for path in OPERATOR_PATHS {
        let (status, _) = get(&format!("{}{path}", server.base)).await;
        assert_eq!(status, 404, "game port {path}");
        let (status, body) = get(&format!("{}{path}", server.admin)).await;
        assert_eq!(status, 200, "operator port {path}: {body}");
    }
    // What players need stays on the game port, and the lobby names no players.
    assert_eq!(get(&format!("{}/healthz", server.base)).await, (200, "ok\n".into()));
    let (status, lobby) = get(&format!("{}/rooms", server.base)).await;
    assert_eq!(status, 200);
    assert!(lobby.contains(r#""id":"main""#), "{lobby}");
    assert!(!lobby.contains("Ada"), "the lobby must not name players: {lobby}");
    // The operator port serves nothing of the game.
    for path in ["/rooms", "/healthz", "/", "/socket.io/?EIO=4&transport=websocket"] {
        assert_eq!(
            get(&format!("{}{path}", server.admin)).await.0,
            404,
            "operator port {path}"
        );
    }
    let clients = tickstate_testkit::get_json(&format!("{}/stats/clients", server.admin)).await;
    assert_eq!(clients["clients"][0]["name"], "Ada");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_every_operator_path() {
    let server = TestServer::start_with_admin_token(ServerConfig::default(), TOKEN).await;
    let right = format!("Bearer {TOKEN}");
    let mut wrong_token = TOKEN.to_owned();
    wrong_token.replace_range(0..1, "S");
    let wrong = format!("Bearer {wrong_token}");
    let shorter = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    let longer = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");
    let mut refused = 0;
    for path in OPERATOR_PATHS.into_iter().chain(["/no-such-path"]) {
        let url = format!("{}{path}", server.admin);
        let (status, head, _) = get_with(&url, &[]).await;
        assert_eq!(status, 401, "{path} without a token");
        assert!(head.contains(r#"www-authenticate: Bearer realm="tickstate""#), "{head}");
        refused += 1;
        for bad in [&wrong, &shorter, &longer, &basic, &"Bearer".to_owned()] {
            let (status, head, body) = get_with(&url, &[("Authorization", bad)]).await;
            assert_eq!(status, 401, "{path} with `{bad}`");
            assert!(!body.contains(TOKEN) && !head.contains(TOKEN));
            refused += 1;
        }
        let (status, _, body) = get_with(&url, &[("Authorization", &right)]).await;
        let expected = if path == "/no-such-path" { 404 } else { 200 };
        assert_eq!(status, expected, "{path} with the token: {body}");
        // The scheme is case-insensitive.
        let (status, _, _) = get_with(&url, &[("authorization", &format!("bearer {TOKEN}"))]).await;
        assert_eq!(status, expected);
    }
    // The game port has no operator endpoints, token or not.
    for path in OPERATOR_PATHS {
        let (status, _, _) = get_with(&format!("{}{path}", server.base), &[("Authorization", &right)]).await;
        assert_eq!(status, 404, "game port {path}");
    }
    let (_, _, body) = get_with(&format!("{}/stats", server.admin), &[("Authorization", &right)]).await;
    let s: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(s["admin"]["unauthorized"], refused, "every refusal is counted");
    server.stop().await.unwrap();
}

/// A running `tickstate` whose stderr is drained by a thread (so its logs can never fill the
/// pipe and block it).
struct Proc {
    child: Child,
    out: BufReader<ChildStdout>,
    err: std::thread::JoinHandle<String>,
}

fn spawn(mut cmd: Command) -> Proc {
    let mut child = cmd.spawn().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut e = String::new();
        let _ = stderr.read_to_string(&mut e);
        e
    });
    Proc { child, out, err }
}

impl Proc {
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    /// The two address lines: the game's (`listening on URL`) and the operator port's.
    fn addresses(&mut self) -> (String, String) {
        let first = self.line();
        let game = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line names the game address: {first:?}"))
            .to_owned();
        (game, self.line())
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit (at most 20 s, then the process is killed and the test fails); returns
    /// the status, the rest of stdout and all of stderr.
    async fn exit(self) -> (std::process::ExitStatus, String, String) {
        let Proc {
            mut child,
            mut out,
            err,
        } = self;
        let pid = child.id();
        let waited = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::task::spawn_blocking(move || {
                let mut rest = String::new();
                let _ = out.read_to_string(&mut rest);
                (child.wait().unwrap(), rest)
            }),
        )
        .await;
        let Ok(waited) = waited else {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            panic!("tickstate (pid {pid}) did not exit within 20 s");
        };
        let (status, rest) = waited.unwrap();
        (status, rest, err.join().unwrap())
    }
}

fn tickstate(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tickstate"));
    c.args(["--bind", "127.0.0.1:0", "--client-dir", "/nonexistent"])
        .args(args)
        .env_remove("TICKSTATE_ADMIN_BIND")
        .env_remove("TICKSTATE_ADMIN_TOKEN")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_an_operator_address_open_to_the_network_without_a_token() {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: if the check were missing, binding
    // would fail with a different message, so the assertions below still catch it, and nothing is
    // ever opened to the network by this test.
    let by_flag = spawn(tickstate(&["--admin-bind", "192.0.2.1:9100"], &[]));
    let by_env = spawn(tickstate(&[], &[("TICKSTATE_ADMIN_BIND", "192.0.2.1:9100")]));
    for p in [by_flag, by_env] {
        let (status, out, err) = p.exit().await;
        assert!(!status.success(), "it must not start: {out}{err}");
        assert!(out.is_empty(), "nothing may be listening: {out}");
        assert!(err.contains("refusing to start"), "{err}");
        assert!(err.contains("192.0.2.1:9100"), "{err}");
        assert!(err.contains("--admin-token"), "the message says how to fix it: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_a_short_token_without_repeating_it() {
    let p = spawn(tickstate(
        &["--admin-bind", "127.0.0.1:0"],
        &[("TICKSTATE_ADMIN_TOKEN", "tooshort-secret")],
    ));
    let (status, out, err) = p.exit().await;
    assert!(!status.success());
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("at least 16 characters"), "{err}");
    assert!(!err.contains("tooshort-secret"), "the token is never printed: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_token_guarded_operator_port_and_never_logs_the_token() {
    let mut p = spawn(tickstate(
        &["--admin-bind", "127.0.0.1:0"],
        &[("TICKSTATE_ADMIN_TOKEN", TOKEN), ("RUST_LOG", "debug")],
    ));
    let (game, admin_line) = p.addresses();
    let admin = admin_line
        .strip_prefix("admin listening on ")
        .unwrap_or_else(|| panic!("second line names the operator address: {admin_line:?}"))
        .to_owned();
    assert!(admin.starts_with("http://127.0.0.1:") && admin != game, "{admin}");
    let right = format!("Bearer {TOKEN}");
    for path in OPERATOR_PATHS {
        assert_eq!(get(&format!("{game}{path}")).await.0, 404, "game port {path}");
        assert_eq!(get(&format!("{admin}{path}")).await.0, 401, "{path} without the token");
        let (status, _, _) = get_with(
            &format!("{admin}{path}"),
            &[("Authorization", "Bearer wrong-token-wrong-token")],
        )
        .await;
        assert_eq!(status, 401, "{path} with a wrong token");
        let (status, _, _) = get_with(&format!("{admin}{path}"), &[("Authorization", &right)]).await;
        assert_eq!(status, 200, "{path} with the token");
    }
    p.sigterm();
    let (status, more, err) = p.exit().await;
    assert!(status.success(), "exit status {status}: {err}");
    assert!(err.contains("operator request refused"), "refusals are logged: {err}");
    assert!(
        !err.contains(TOKEN) && !more.contains(TOKEN),
        "the token is never logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_can_turn_the_operator_endpoints_off() {
    let mut p = spawn(tickstate(&["--admin-bind", "off"], &[]));
    let (game, admin_line) = p.addresses();
    assert_eq!(admin_line, "admin off");
    for path in OPERATOR_PATHS {
        assert_eq!(get(&format!("{game}{path}")).await.0, 404, "{path}");
    }
    assert_eq!(get(&format!("{game}/healthz")).await.0, 200);
    p.sigterm();
    let (status, _, err) = p.exit().await;
    assert!(status.success(), "exit status {status}: {err}");
}
