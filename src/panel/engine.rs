//! Intiface Engine 5's REST routes (`--rest-api-port`; intiface-engine 5.0.5's
//! `rest_server.rs`), under `/api/v1` with its paths, methods and JSON, so scripts written for
//! it work here. Differences: errors are 4xx JSON (Engine answers 500 with text for an unknown
//! device); the input routes and the per-device event stream, commented out in Engine 5.0.5,
//! are implemented; `GET /devices/{index}/features/{feature}` is accepted beside Engine's
//! `PUT …/{feature}/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Serialize;
use serde_json::Value;

use super::api::{run_input, run_output, scan, stop_one};
use super::error::ApiError;
use super::events;
use super::extract::Params;
use super::{STOP_TIMEOUT, Shared};
use crate::client::fraction_to_step;
use crate::wire::{
    DeviceEntry, DeviceFeature, InputCommandType, InputType, OutputCommand, OutputType,
};

type S = State<Arc<Shared>>;

pub fn routes() -> axum::Router<Arc<Shared>> {
    axum::Router::new()
        .route("/start-scanning", get(start_scanning))
        .route("/stop-scanning", get(stop_scanning))
        .route("/devices", get(devices))
        .route("/devices/stop", put(stop_all))
        .route("/devices/{index}", get(device))
        .route("/devices/{index}/stop", put(stop_device))
        .route("/devices/{index}/features", get(features))
        .route("/devices/{index}/features/{feature}/", put(feature))
        .route("/devices/{index}/features/{feature}", get(feature))
        .route(
            "/devices/{index}/outputs/{output_type}/{level}",
            put(device_output),
        )
        .route(
            "/devices/{index}/features/{feature}/outputs/{output_type}/{level}",
            put(feature_output),
        )
        .route(
            "/devices/{index}/inputs/{input_type}/{input_command}",
            put(device_input),
        )
        .route(
            "/devices/{index}/features/{feature}/inputs/{input_type}/{input_command}",
            put(feature_input),
        )
        .route("/devices/{index}/events", get(device_events))
        .route("/events", get(server_events))
}

/// A device as Engine 5 shows it.
#[derive(Serialize)]
struct EngineDevice {
    index: u32,
    name: String,
    display_name: Option<String>,
    features: BTreeMap<u32, DeviceFeature>,
}

impl From<DeviceEntry> for EngineDevice {
    fn from(d: DeviceEntry) -> Self {
        EngineDevice {
            index: d.device_index,
            name: d.device_name,
            display_name: d.device_display_name,
            features: d.device_features,
        }
    }
}

async fn start_scanning(State(s): S) -> Result<(), ApiError> {
    scan(&s, true).await
}

async fn stop_scanning(State(s): S) -> Result<(), ApiError> {
    scan(&s, false).await
}

async fn devices(State(s): S) -> Json<BTreeMap<u32, EngineDevice>> {
    Json(
        s.server
            .device_list()
            .devices
            .into_iter()
            .map(|(i, d)| (i, d.into()))
            .collect(),
    )
}

/// Engine's stop-all: every device stops (ahead of anything queued); the app stays connected.
async fn stop_all(State(s): S) {
    s.server.stop_all_devices(STOP_TIMEOUT).await;
}

async fn device(State(s): S, Params(index): Params<u32>) -> Result<Json<EngineDevice>, ApiError> {
    Ok(Json(s.device(index)?.into()))
}

async fn stop_device(State(s): S, Params(index): Params<u32>) -> Result<(), ApiError> {
    stop_one(&s, index, None).await
}

async fn features(
    State(s): S,
    Params(index): Params<u32>,
) -> Result<Json<BTreeMap<u32, DeviceFeature>>, ApiError> {
    Ok(Json(s.device(index)?.device_features))
}

async fn feature(
    State(s): S,
    Params((index, feature)): Params<(u32, u32)>,
) -> Result<Json<DeviceFeature>, ApiError> {
    Ok(Json(s.feature(index, feature)?))
}

/// Engine's level: a fraction in -1.0..=1.0 of the feature's step count (rounded up, as the
/// Buttplug client does).
fn level_command(
    f: &DeviceFeature,
    index: u32,
    output: OutputType,
    level: f64,
) -> Result<OutputCommand, ApiError> {
    if output == OutputType::HwPositionWithDuration {
        return Err(ApiError::bad_request(
            "HwPositionWithDuration needs a duration: use POST /api/devices/{index}/features/{feature}/output",
        ));
    }
    if !level.is_finite() || !(-1.0..=1.0).contains(&level) {
        return Err(ApiError::bad_request(format!(
            "level {level} is outside -1.0..=1.0"
        )));
    }
    let props = f
        .output
        .as_ref()
        .and_then(|o| o.get(&output))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "device {index} feature {} has no {output} output",
                f.feature_index
            ))
        })?;
    Ok(OutputCommand::new(
        output,
        fraction_to_step(level, props.value[1]),
        0,
    ))
}

/// Every feature of the device with this output type, at this level.
async fn device_output(
    State(s): S,
    Params((index, output, level)): Params<(u32, OutputType, f64)>,
) -> Result<(), ApiError> {
    let entry = s.device(index)?;
    let targets: Vec<&DeviceFeature> = entry
        .device_features
        .values()
        .filter(|f| f.output.as_ref().is_some_and(|o| o.contains_key(&output)))
        .collect();
    if targets.is_empty() {
        return Err(ApiError::bad_request(format!(
            "device {index} has no {output} output"
        )));
    }
    for f in targets {
        let command = level_command(f, index, output, level)?;
        run_output(&s, index, f.feature_index, command).await?;
    }
    Ok(())
}

async fn feature_output(
    State(s): S,
    Params((index, feature, output, level)): Params<(u32, u32, OutputType, f64)>,
) -> Result<(), ApiError> {
    let f = s.feature(index, feature)?;
    let command = level_command(&f, index, output, level)?;
    run_output(&s, index, feature, command).await
}

/// The device's first feature with this input.
async fn device_input(
    State(s): S,
    Params((index, input, command)): Params<(u32, InputType, InputCommandType)>,
) -> Result<Json<Value>, ApiError> {
    let entry = s.device(index)?;
    let feature = entry
        .device_features
        .values()
        .find(|f| f.input.as_ref().is_some_and(|i| i.contains_key(&input)))
        .ok_or_else(|| ApiError::bad_request(format!("device {index} has no {input} input")))?;
    Ok(Json(
        run_input(&s, index, feature.feature_index, input, command).await?,
    ))
}

async fn feature_input(
    State(s): S,
    Params((index, feature, input, command)): Params<(u32, u32, InputType, InputCommandType)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(run_input(&s, index, feature, input, command).await?))
}

async fn device_events(State(s): S, Params(index): Params<u32>) -> Result<Response, ApiError> {
    s.device(index)?;
    Ok(events::panel_stream(s, Some(index)).into_response())
}

async fn server_events(State(s): S) -> Response {
    events::engine_stream(s).into_response()
}
