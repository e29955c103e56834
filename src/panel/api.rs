//! Teleplug's own routes, used by the page and by scripts (JSON in and out, errors as
//! `{"error", "code"}` with a 4xx status). See the README's "Control panel and HTTP API" table.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::events::{self, client_json, state_json};
use super::extract::{Body, Params};
use super::{STOP_TIMEOUT, Shared};
use crate::client::fraction_to_step;
use crate::server::ServerEvent;
use crate::wire::{
    ClientMessage, IdOnly, InputCmd, InputCommandType, InputType, OutputCmd, OutputCommand,
    OutputType, ServerMessage, StopCmd,
};

type S = State<Arc<Shared>>;

pub fn routes() -> axum::Router<Arc<Shared>> {
    axum::Router::new()
        .route("/api/server", get(server_info))
        .route("/api/state", get(state))
        .route("/api/client", get(client).delete(disconnect_client))
        .route("/api/devices", get(devices))
        .route("/api/devices/{index}", get(device))
        .route("/api/devices/{index}/stop", post(stop_device))
        .route(
            "/api/devices/{index}/features/{feature}/output",
            post(output),
        )
        .route("/api/devices/{index}/features/{feature}/input", post(input))
        .route(
            "/api/devices/{index}/features/{feature}/stop",
            post(stop_feature),
        )
        .route("/api/stop", post(stop_all))
        .route("/api/scanning/start", post(start_scanning))
        .route("/api/scanning/stop", post(stop_scanning))
        .route("/api/events", get(event_stream))
        .route("/api/log", get(log_stream))
}

fn ok() -> Json<Value> {
    Json(json!({"ok": true}))
}

async fn server_info(State(s): S) -> Json<Value> {
    Json(json!({
        "name": s.server.options().name,
        "version": env!("CARGO_PKG_VERSION"),
        "panel": {
            "address": s.local.to_string(),
            "token_required": s.token_required,
            "open_event_streams": s.streams.get(),
        },
        "settings": s.settings,
        "client": client_json(s.server.client()),
        "scanning": s.scanning(),
    }))
}

async fn state(State(s): S) -> Json<Value> {
    Json(state_json(&s))
}

async fn client(State(s): S) -> Json<Value> {
    Json(json!({"client": client_json(s.server.client())}))
}

/// End the client app's connection (its devices stop).
async fn disconnect_client(State(s): S) -> Result<Json<Value>, ApiError> {
    let mut events = s.server.events();
    if !s.server.disconnect_client() {
        return Err(ApiError::not_found("no client app is connected"));
    }
    wait_for_disconnect(&mut events).await;
    Ok(Json(json!({"disconnected": true})))
}

async fn wait_for_disconnect(events: &mut tokio::sync::broadcast::Receiver<ServerEvent>) {
    let _ = tokio::time::timeout(STOP_TIMEOUT, async {
        loop {
            match events.recv().await {
                Ok(ServerEvent::ClientDisconnected) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

async fn devices(State(s): S) -> Json<Value> {
    Json(json!({"devices": s.devices_json()}))
}

async fn device(State(s): S, Params(index): Params<u32>) -> Result<Json<Value>, ApiError> {
    let entry = s.device(index)?;
    Ok(Json(serde_json::to_value(entry).unwrap_or(Value::Null)))
}

/// `POST …/output`: `{"type": "Vibrate", "fraction": 0.5}` or `{"type": "Vibrate", "value":
/// 10}` (steps); `"duration"` (ms) with `HwPositionWithDuration` only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputBody {
    #[serde(rename = "type")]
    pub output: OutputType,
    pub value: Option<i32>,
    pub fraction: Option<f64>,
    pub duration: Option<u32>,
}

/// The step command of an output request against the feature's advertised range.
pub fn output_command(
    s: &Shared,
    index: u32,
    feature: u32,
    body: &OutputBody,
) -> Result<OutputCommand, ApiError> {
    let f = s.feature(index, feature)?;
    let props = f
        .output
        .as_ref()
        .and_then(|o| o.get(&body.output))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "device {index} feature {feature} has no {} output",
                body.output
            ))
        })?;
    let steps = match (body.value, body.fraction) {
        (Some(v), None) => v,
        (None, Some(fr)) if fr.is_finite() && (-1.0..=1.0).contains(&fr) => {
            fraction_to_step(fr, props.value[1])
        }
        (None, Some(fr)) => {
            return Err(ApiError::bad_request(format!(
                "fraction {fr} is outside -1.0..=1.0"
            )));
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of \"value\" (steps) or \"fraction\" (-1.0..=1.0)",
            ));
        }
    };
    let duration = match (body.output, body.duration) {
        (OutputType::HwPositionWithDuration, Some(d)) => d,
        (OutputType::HwPositionWithDuration, None) => {
            return Err(ApiError::bad_request(
                "HwPositionWithDuration needs \"duration\" (milliseconds)",
            ));
        }
        (_, None) => 0,
        (other, Some(_)) => {
            return Err(ApiError::bad_request(format!(
                "\"duration\" is for HwPositionWithDuration, not {other}"
            )));
        }
    };
    Ok(OutputCommand::new(body.output, steps, duration))
}

pub(crate) async fn run_output(
    s: &Shared,
    index: u32,
    feature: u32,
    command: OutputCommand,
) -> Result<(), ApiError> {
    s.backdoor
        .expect_ok(ClientMessage::OutputCmd(OutputCmd {
            command,
            device_index: index,
            feature_index: feature,
            id: 0,
        }))
        .await
}

async fn output(
    State(s): S,
    Params((index, feature)): Params<(u32, u32)>,
    Body(body): Body<OutputBody>,
) -> Result<Json<Value>, ApiError> {
    let command = output_command(&s, index, feature, &body)?;
    run_output(&s, index, feature, command).await?;
    Ok(Json(json!({"ok": true, "steps": command.value()})))
}

/// `POST …/input`: `{"type": "Battery", "command": "Read"}` (or `Subscribe`, `Unsubscribe`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputBody {
    #[serde(rename = "type")]
    input: InputType,
    command: InputCommandType,
}

/// Read, subscribe or unsubscribe one input; a read answers `{"type", "value"}`.
pub(crate) async fn run_input(
    s: &Shared,
    index: u32,
    feature: u32,
    input: InputType,
    command: InputCommandType,
) -> Result<Value, ApiError> {
    let f = s.feature(index, feature)?;
    if !f.input.as_ref().is_some_and(|i| i.contains_key(&input)) {
        return Err(ApiError::bad_request(format!(
            "device {index} feature {feature} has no {input} input"
        )));
    }
    let reply = s
        .backdoor
        .request(ClientMessage::InputCmd(InputCmd {
            command,
            device_index: index,
            feature_index: feature,
            id: 0,
            input_type: input,
        }))
        .await?;
    Ok(match reply {
        ServerMessage::InputReading(r) => {
            json!({"type": r.reading.input_type.as_str(), "value": r.reading.value})
        }
        _ => json!({"ok": true}),
    })
}

async fn input(
    State(s): S,
    Params((index, feature)): Params<(u32, u32)>,
    Body(body): Body<InputBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        run_input(&s, index, feature, body.input, body.command).await?,
    ))
}

pub(crate) async fn stop_one(s: &Shared, index: u32, feature: Option<u32>) -> Result<(), ApiError> {
    match feature {
        Some(f) => s.feature(index, f).map(drop)?,
        None => s.device(index).map(drop)?,
    }
    s.backdoor
        .expect_ok(ClientMessage::StopCmd(StopCmd {
            device_index: Some(index),
            feature_index: feature,
            ..StopCmd::default()
        }))
        .await
}

async fn stop_device(State(s): S, Params(index): Params<u32>) -> Result<Json<Value>, ApiError> {
    stop_one(&s, index, None).await?;
    Ok(ok())
}

async fn stop_feature(
    State(s): S,
    Params((index, feature)): Params<(u32, u32)>,
) -> Result<Json<Value>, ApiError> {
    stop_one(&s, index, Some(feature)).await?;
    Ok(ok())
}

/// STOP ALL: every device is told to stop at once (ahead of anything queued), then the client
/// app's connection is ended so a flood of its commands cannot start them again (its devices
/// stop once more as it goes). `?keep_client=true` stops the devices and leaves the app
/// connected. Answers once the stop packets are written.
async fn stop_all(State(s): S, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let keep_client = match query.as_deref() {
        None | Some("") => false,
        Some("keep_client=true" | "keep_client=1") => true,
        Some("keep_client=false" | "keep_client=0") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown query {other:?}: the only one is keep_client=true|false"
            )));
        }
    };
    let mut events = s.server.events();
    s.server.stop_all_devices(STOP_TIMEOUT).await;
    let disconnected = !keep_client && s.server.disconnect_client();
    if disconnected {
        wait_for_disconnect(&mut events).await;
    }
    Ok(Json(
        json!({"ok": true, "client_disconnected": disconnected}),
    ))
}

pub(crate) async fn scan(s: &Shared, on: bool) -> Result<(), ApiError> {
    let m = IdOnly { id: 0 };
    let message = if on {
        ClientMessage::StartScanning(m)
    } else {
        ClientMessage::StopScanning(m)
    };
    s.backdoor.expect_ok(message).await
}

async fn start_scanning(State(s): S) -> Result<Json<Value>, ApiError> {
    scan(&s, true).await?;
    Ok(ok())
}

async fn stop_scanning(State(s): S) -> Result<Json<Value>, ApiError> {
    scan(&s, false).await?;
    Ok(ok())
}

async fn event_stream(State(s): S) -> Response {
    events::panel_stream(s, None).into_response()
}

async fn log_stream(State(s): S) -> Response {
    match &s.log {
        Some(tail) => events::log_stream(tail.clone(), &s.streams).into_response(),
        None => ApiError::not_found("this server keeps no log tail").into_response(),
    }
}
