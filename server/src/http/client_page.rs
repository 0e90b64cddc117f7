//! `/`: the built Phaser client, or a page saying how to build it.

use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tower_http::services::ServeDir;

use crate::hub::Hub;

/// Serves `config.client_dir`, falling back to [`no_client`].
pub fn service(hub: Arc<Hub>) -> ServeDir<MethodRouter> {
    ServeDir::new(&hub.config.client_dir).fallback(get(no_client).with_state(hub))
}

async fn no_client(State(hub): State<Arc<Hub>>, uri: Uri) -> Response {
    let dir = &hub.config.client_dir;
    if uri.path() != "/" && uri.path() != "/index.html" {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    if Path::new(dir).join("index.html").exists() {
        // Served by ServeDir; only reached in a race with a build that is being written.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "client is being built\n",
        )
            .into_response();
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Tickstate</title>\
         <h1>Tickstate is running</h1>\
         <p>The Phaser client is not built yet (looked in <code>{}</code>).</p>\
         <p>Build it with <code>npm --prefix client-phaser ci &amp;&amp; npm --prefix client-phaser run build</code>, \
         or start everything with <code>./scripts/run.sh</code>, then reload this page.</p>\
         <p>Server status: <a href=/healthz>/healthz</a>, rooms: <a href=/rooms>/rooms</a>.</p>",
        html_escape(&dir.display().to_string())
    ))
    .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
