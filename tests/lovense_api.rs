//! The Lovense local API (`teleplug::lovense_api`, issue 18): games that speak only Lovense
//! drive any device. Requests go through the API's axum router in-process (no socket) so the
//! time semantics run on tokio's paused clock; the bytes checked are those the simulated toys
//! received. Clients are written in each style the games use (docs/protocols/lovense-local-api.md
//! §6): browser JSON POST with preflight, C#-style GET routes, Godot/Ren'Py-style POST with
//! `X-platform`, lowercase actions. The examples are the Lovense developer documentation's.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use support::ops::{next_data, next_op, until_connected};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::lovense_api::{LovenseApi, LovenseApiOptions};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use tower::ServiceExt;

/// What a Hush answers to `DeviceType;`.
const HUSH: &str = "Z:11:0082059AD3BD;";

/// An Aneros "Massage Demo": two vibrators of 0–127, one packet `[0xF1 + feature, value]` each.
fn aneros(address: &str) -> SimulatedDeviceSpec {
    SimulatedDeviceSpec::new("Massage Demo", address)
}

struct Rig {
    server: Server,
    api: LovenseApi,
    ops: Vec<UnboundedReceiver<SimOp>>,
}

/// A server with these toys and the API on it: the API's own scan at start finds them.
async fn rig(specs: Vec<SimulatedDeviceSpec>, watchdog: Duration) -> Rig {
    rig_with(
        specs,
        LovenseApiOptions {
            watchdog,
            ..LovenseApiOptions::default()
        },
    )
    .await
}

async fn rig_with(specs: Vec<SimulatedDeviceSpec>, options: LovenseApiOptions) -> Rig {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let mut ops = Vec::new();
    for spec in specs {
        let d = SimulatedDevice::new(spec);
        ops.push(d.op_receiver());
        server.advertise(d);
    }
    let api = LovenseApi::new(&server, options).expect("API starts");
    for rx in ops.iter_mut() {
        until_connected(rx).await;
    }
    let mut events = server.events();
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.device_list().devices.len() < ops.len() {
            let _ = events.recv().await;
        }
    })
    .await
    .expect("every toy listed");
    Rig { server, api, ops }
}

async fn send(api: &LovenseApi, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let r = api.router().oneshot(req).await.expect("infallible");
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("JSON body: {bytes:?}"))
    };
    (status, headers, body)
}

/// Browser/Node style: `POST /command` with a JSON body.
async fn post(api: &LovenseApi, body: Value) -> Value {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/command")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, headers, body) = send(api, req).await;
    assert_eq!(status, StatusCode::OK, "Lovense answers HTTP 200 always");
    assert_eq!(headers["access-control-allow-origin"], "*");
    body
}

/// C# / Lovense Connect style: `GET /Route?query`.
async fn get(api: &LovenseApi, path_and_query: &str) -> Value {
    let req = Request::builder()
        .method(Method::GET)
        .uri(path_and_query)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(api, req).await;
    assert_eq!(status, StatusCode::OK);
    body
}

/// The GetToys list (the `toys` string parsed), by name.
async fn toys(api: &LovenseApi) -> Vec<Value> {
    let r = post(api, json!({"command": "GetToys"})).await;
    assert_eq!(r["code"], 200);
    assert_eq!(r["type"], "OK");
    let text = r["data"]["toys"].as_str().expect("toys is a JSON string");
    let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
    let mut list: Vec<Value> = map.into_values().collect();
    list.sort_by_key(|t| t["name"].as_str().unwrap().to_string());
    list
}

fn ok() -> Value {
    json!({"code": 200, "type": "ok"})
}

/// Both Aneros motors' values from the next two packets (order of features).
async fn both(rx: &mut UnboundedReceiver<SimOp>) -> [u8; 2] {
    let mut v = [255u8; 2];
    for _ in 0..2 {
        let d = next_data(rx).await;
        v[usize::from(d[0] - 0xF1)] = d[1];
    }
    v
}

#[tokio::test(start_paused = true)]
async fn get_toys_lists_every_device_with_a_lovense_name_functions_and_battery() {
    let r = rig(
        vec![
            aneros("an-1"),
            SimulatedDeviceSpec::lovense("hush-1", HUSH, 80),
        ],
        Duration::ZERO,
    )
    .await;
    let list = toys(&r.api).await;
    assert_eq!(list.len(), 2);
    let (edge, hush) = (&list[0], &list[1]);
    // The two-motor Aneros is shown as the two-motor Lovense model; the Hush keeps its name.
    assert_eq!(edge["name"], "edge");
    assert_eq!(edge["nickName"], "Aneros Vivi");
    assert_eq!(edge["shortFunctionNames"], json!(["v", "v1", "v2"]));
    assert_eq!(
        edge["fullFunctionNames"],
        json!(["Vibrate", "Vibrate1", "Vibrate2"])
    );
    assert_eq!(edge["battery"], 100, "no battery input");
    assert_eq!(hush["name"], "hush");
    assert_eq!(hush["battery"], 80, "read from the toy");
    assert_eq!(hush["status"], "1");
    for t in &list {
        let id = t["id"].as_str().unwrap();
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    }
    // Lovense Connect's GET form: data is an object keyed by id, capitalised names, "ok".
    let legacy = get(&r.api, "/GetToys").await;
    assert_eq!(legacy["type"], "ok");
    let id = edge["id"].as_str().unwrap();
    assert_eq!(legacy["data"][id]["name"], "Edge");
    assert_eq!(legacy["data"][hush["id"].as_str().unwrap()]["battery"], 80);
    let names = post(&r.api, json!({"command": "GetToyName"})).await;
    let mut names: Vec<String> = serde_json::from_value(names["data"].clone()).unwrap();
    names.sort();
    assert_eq!(names, ["Edge", "Hush"]);
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn toy_ids_are_the_same_for_the_same_device_on_another_server() {
    let first = rig(vec![aneros("same-address")], Duration::ZERO).await;
    let id1 = toys(&first.api).await[0]["id"].clone();
    first.server.shutdown(Duration::from_secs(1)).await;
    let second = rig(vec![aneros("same-address")], Duration::ZERO).await;
    assert_eq!(toys(&second.api).await[0]["id"], id1);
    let other = rig(vec![aneros("other-address")], Duration::ZERO).await;
    assert_ne!(toys(&other.api).await[0]["id"], id1);
}

#[tokio::test(start_paused = true)]
async fn function_scales_to_steps_and_time_sec_stops_it() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    // The documentation's example: Vibrate 16 for 20 seconds, 9 s on / 4 s off.
    let start = Instant::now();
    let reply = post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:16", "timeSec": 20,
               "loopRunningSec": 9, "loopPauseSec": 4, "apiVer": 1}),
    )
    .await;
    assert_eq!(reply, ok());
    // 16 of 0–20 on 0–127 steps: 102 (rounded).
    assert_eq!(both(ops).await, [102, 102]);
    assert_eq!(both(ops).await, [0, 0]);
    assert_eq!(start.elapsed(), Duration::from_secs(9), "pause after 9 s");
    assert_eq!(both(ops).await, [102, 102]);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(13),
        "on again after 4 s"
    );
    assert_eq!(both(ops).await, [0, 0]);
    assert_eq!(start.elapsed(), Duration::from_secs(20), "timeSec ends it");
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn stop_previous_0_layers_and_stop_previous_1_replaces() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate1:20", "timeSec": 0}),
    )
    .await;
    assert_eq!(next_data(ops).await, [0xF1, 127]);
    post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate2:10", "timeSec": 0, "stopPrevious": 0}),
    )
    .await;
    assert_eq!(next_data(ops).await, [0xF2, 64], "motor 1 keeps running");
    post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate2:5", "timeSec": 0}),
    )
    .await;
    let mut got = vec![next_data(ops).await, next_data(ops).await];
    got.sort();
    assert_eq!(
        got,
        [vec![0xF1, 0], vec![0xF2, 32]],
        "the earlier command stopped"
    );
    // Stop (the documented form) zeroes the toy.
    post(
        &r.api,
        json!({"command": "Function", "action": "Stop", "timeSec": 0}),
    )
    .await;
    assert_eq!(next_data(ops).await, [0xF2, 0]);
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn patterns_step_through_strengths_at_their_interval_on_the_chosen_functions() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    let start = Instant::now();
    // The documentation's example rule and strengths, for 1.5 s.
    let reply = post(
        &r.api,
        json!({"command": "Pattern", "rule": "V:1;F:v;S:500#", "strength": "20;10;5",
               "timeSec": 1.5, "apiVer": 2}),
    )
    .await;
    assert_eq!(reply, ok());
    assert_eq!(both(&mut *ops).await, [127, 127]);
    assert_eq!(both(&mut *ops).await, [64, 64]);
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    assert_eq!(both(&mut *ops).await, [32, 32]);
    assert_eq!(start.elapsed(), Duration::from_millis(1000));
    assert_eq!(both(&mut *ops).await, [0, 0]);
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    // Presets loop their steps until timeSec.
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Preset", "name": "pulse", "timeSec": 2, "apiVer": 1}),
    )
    .await;
    assert_eq!(both(&mut *ops).await, [127, 127]);
    assert_eq!(both(&mut *ops).await, [0, 0]);
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    assert_eq!(both(&mut *ops).await, [127, 127]);
    assert_eq!(start.elapsed(), Duration::from_millis(1000));
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn the_watchdog_stops_a_toy_left_running_by_a_silent_game() {
    let mut r = rig(vec![aneros("an-1")], Duration::from_secs(5)).await;
    let ops = &mut r.ops[0];
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:20", "timeSec": 0}),
    )
    .await;
    assert_eq!(both(&mut *ops).await, [127, 127]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Any request keeps it alive.
    post(&r.api, json!({"command": "GetToys"})).await;
    assert_eq!(both(&mut *ops).await, [0, 0], "the watchdog's stop");
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(8),
        "5 s after the last request"
    );
    // A timed command is not the watchdog's business: it ends on its own.
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:20", "timeSec": 9}),
    )
    .await;
    assert_eq!(both(&mut *ops).await, [127, 127]);
    assert_eq!(both(&mut *ops).await, [0, 0]);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(9),
        "past the 5 s watchdog"
    );
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn when_the_server_stops_all_devices_the_running_patterns_end_too() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    post(
        &r.api,
        json!({"command": "Pattern", "rule": "V:1;F:;S:200#", "strength": "20;0", "timeSec": 0}),
    )
    .await;
    assert_eq!(both(&mut *ops).await, [127, 127]);
    let mut events = r.server.events();
    r.server.stop_all_devices(Duration::from_secs(1)).await;
    while events.recv().await.unwrap() != ServerEvent::AllStopped {}
    // The stop packets, then nothing more: the pattern does not come back.
    let mut after = Vec::new();
    let quiet = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            after.push(next_op(ops).await);
        }
    })
    .await;
    assert!(quiet.is_err());
    assert!(
        after
            .iter()
            .all(|op| matches!(op, SimOp::Write { data, .. } if data[1] == 0)),
        "only stops after the stop: {after:?}"
    );
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn errors_are_lovense_codes_with_http_200() {
    let r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let code = |v: Value| v["code"].as_u64().unwrap();
    let id = toys(&r.api).await[0]["id"].as_str().unwrap().to_string();
    let e = post(&r.api, json!({"command": "Fly"})).await;
    assert_eq!(e["type"], "error");
    assert!(e["message"].as_str().unwrap().contains("Invalid Command"));
    assert_eq!(code(e), 400);
    let e = post(
        &r.api,
        json!({"command": "Function", "action": "Wiggle:3", "timeSec": 0}),
    )
    .await;
    assert_eq!(code(e), 404);
    let e = post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:x", "timeSec": 0}),
    )
    .await;
    assert_eq!(code(e), 404);
    let e = post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:3", "timeSec": -1}),
    )
    .await;
    assert_eq!(code(e), 404);
    let e = post(
        &r.api,
        json!({"command": "Function", "action": "Vibrate:3", "timeSec": 0, "toy": "ffffffffffff"}),
    )
    .await;
    assert_eq!(code(e), 401);
    // A vibrator cannot rotate.
    let e = post(
        &r.api,
        json!({"command": "Function", "action": "Rotate:3", "timeSec": 0, "toy": id}),
    )
    .await;
    assert_eq!(code(e), 403);
    let e = post(
        &r.api,
        json!({"command": "Position", "value": "50", "toy": id}),
    )
    .await;
    assert_eq!(code(e), 403);
    let e = post(
        &r.api,
        json!({"command": "PatternV2", "type": "Play", "toy": id}),
    )
    .await;
    assert_eq!(code(e), 404, "Play before Setup");
    let e = post(
        &r.api,
        json!({"command": "PatternV2", "type": "Setup",
               "actions": [{"ts": 100, "pos": 10}, {"ts": 50, "pos": 20}]}),
    )
    .await;
    assert_eq!(code(e), 404, "ts must increase");
    // Not JSON at all.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/command")
        .body(Body::from("{not json"))
        .unwrap();
    let (status, _, e) = send(&r.api, req).await;
    assert_eq!((status, code(e)), (StatusCode::OK, 404));
    let e = get(&r.api, "/Teleport?v=1").await;
    assert_eq!(code(e), 400);
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_toy_that_went_away_is_not_connected() {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let d = SimulatedDevice::new(aneros("gone"));
    let mut ops = d.op_receiver();
    server.advertise(d.clone());
    let api = LovenseApi::new(&server, LovenseApiOptions::default()).unwrap();
    until_connected(&mut ops).await;
    let mut events = server.events();
    while server.device_list().devices.is_empty() {
        let _ = events.recv().await;
    }
    let id = toys(&api).await[0]["id"].as_str().unwrap().to_string();
    server.simulator().remove(&d);
    d.disconnect();
    while !server.device_list().devices.is_empty() {
        let _ = events.recv().await;
    }
    let e = post(
        &api,
        json!({"command": "Function", "action": "Vibrate:3", "timeSec": 0, "toy": id}),
    )
    .await;
    assert_eq!(e["code"], 402);
    server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn browser_preflight_is_answered_for_any_origin() {
    let r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/command")
        .header("origin", "https://game.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,cache-control",
        )
        .body(Body::empty())
        .unwrap();
    let (status, h, _) = send(&r.api, req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type,cache-control"
    );
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn csharp_style_get_routes_drive_the_toy() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let id = toys(&r.api).await[0]["id"].as_str().unwrap().to_string();
    let ops = &mut r.ops[0];
    assert_eq!(get(&r.api, &format!("/Vibrate?v=10&t={id}")).await, ok());
    assert_eq!(both(&mut *ops).await, [64, 64]);
    assert_eq!(get(&r.api, &format!("/Vibrate1?v=20&t={id}")).await, ok());
    assert_eq!(next_data(ops).await, [0xF1, 127]);
    assert_eq!(
        next_data(ops).await,
        [0xF2, 0],
        "Vibrate1 replaces the earlier command"
    );
    // Timed: AVibrate for 3 s, through POST with an empty body as some clients do.
    let start = Instant::now();
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/AVibrate?v=4&sec=3&t={}", id.to_uppercase()))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r.api, req).await.2, ok());
    assert_eq!(both(&mut *ops).await, [25, 25]);
    assert_eq!(both(&mut *ops).await, [0, 0]);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(get(&r.api, &format!("/Battery?t={id}")).await["data"], 100);
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn godot_and_renpy_style_posts_with_lowercase_actions() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let id = toys(&r.api).await[0]["id"].as_str().unwrap().to_string();
    let ops = &mut r.ops[0];
    // GDLovense: per toy, timeSec 0, loopRunningSec 1, stopPrevious 0, X-platform header.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/command")
        .header("content-type", "application/json")
        .header("X-platform", "My Godot Game")
        .body(Body::from(
            json!({"command": "Function", "action": "Vibrate:5", "timeSec": 0,
                   "loopRunningSec": 1, "stopPrevious": 0, "toy": id, "apiVer": 1})
            .to_string(),
        ))
        .unwrap();
    assert_eq!(send(&r.api, req).await.2, ok());
    assert_eq!(both(&mut *ops).await, [32, 32]);
    // Lowercase command and action; numbers as strings; a form-encoded body.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/command")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("command=function&action=vibrate%3A20&timeSec=0"))
        .unwrap();
    assert_eq!(send(&r.api, req).await.2, ok());
    assert_eq!(both(&mut *ops).await, [127, 127]);
    let reply = post(
        &r.api,
        json!({"command": "function", "action": "vibrate:0,all:0", "timeSec": "0", "toy": [id]}),
    )
    .await;
    assert_eq!(reply, ok());
    assert_eq!(both(&mut *ops).await, [0, 0]);
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_requests_coalesces_to_the_latest_value() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    let router = r.api.router();
    const N: usize = 5_000;
    for i in 0..N {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/command")
            .body(Body::from(
                json!({"command": "Function", "action": format!("Vibrate1:{}", i % 20 + 1),
                       "timeSec": 0})
                .to_string(),
            ))
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // The last value (20) arrives; far fewer packets than requests were written.
    let mut writes = 0;
    loop {
        let d = next_data(ops).await;
        writes += 1;
        if d == [0xF1, 127] {
            break;
        }
    }
    let more = tokio::time::timeout(Duration::from_secs(1), next_data(ops)).await;
    assert!(more.is_err(), "nothing after the latest value: {more:?}");
    assert!(writes < N / 10, "{writes} packets for {N} requests");
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn pattern_v2_plays_positions_on_a_position_toy_and_levels_on_a_vibrator() {
    let mut r = rig(vec![aneros("an-1")], Duration::ZERO).await;
    let ops = &mut r.ops[0];
    let setup = post(
        &r.api,
        json!({"command": "PatternV2", "type": "Setup", "apiVer": 1,
               "actions": [{"ts": 0, "pos": 0}, {"ts": 1000, "pos": 100}, {"ts": 1500, "pos": 50}]}),
    )
    .await;
    assert_eq!(setup, ok());
    let start = Instant::now();
    let play = post(
        &r.api,
        json!({"command": "PatternV2", "type": "Play", "startTime": 0, "offsetTime": 0, "apiVer": 1}),
    )
    .await;
    assert_eq!(play, ok());
    // A vibrator gets each segment's target position as its level.
    assert_eq!(both(&mut *ops).await, [127, 127]);
    assert_eq!(both(&mut *ops).await, [64, 64]);
    assert_eq!(start.elapsed(), Duration::from_millis(1000));
    assert_eq!(both(&mut *ops).await, [0, 0]);
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(1500),
        "played to the end"
    );
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_listener_answers_over_tcp() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let handle = teleplug::lovense_api::start(
        &server,
        LovenseApiOptions {
            address: "127.0.0.1:0".parse().unwrap(),
            ..LovenseApiOptions::default()
        },
    )
    .await
    .expect("binds");
    let mut s = tokio::net::TcpStream::connect(handle.local_addr())
        .await
        .unwrap();
    let body = r#"{"command":"GetToys"}"#;
    s.write_all(
        format!(
            "POST /command HTTP/1.1\r\nHost: 127-0-0-1.lovense.club\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let json_start = out.find("\r\n\r\n").unwrap() + 4;
    let v: Value = serde_json::from_str(&out[json_start..]).unwrap();
    assert_eq!(v["data"]["toys"], "{}");
    handle.shutdown(Duration::from_secs(1)).await;
    server.shutdown(Duration::from_secs(1)).await;
}

#[cfg(feature = "lovense-tls")]
#[tokio::test]
async fn https_with_a_certificate_made_at_first_start_and_kept() {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let options = LovenseApiOptions {
        address: "127.0.0.1:0".parse().unwrap(),
        tls: Some(teleplug::lovense_api::TlsOptions {
            address: "127.0.0.1:0".parse().unwrap(),
            dir: certs.clone(),
        }),
        ..LovenseApiOptions::default()
    };
    let handle = teleplug::lovense_api::start(&server, options.clone())
        .await
        .expect("starts");
    let cert_path = certs.join(teleplug::lovense_api::CERT_FILE);
    let made = std::fs::read(&cert_path).expect("certificate made at first start");
    // A client that trusts the generated certificate (as a user who installed it), reaching the
    // server under the name Lovense's clients use.
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&cert_path).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(handle.tls_addr().unwrap())
        .await
        .unwrap();
    let name = ServerName::try_from("127-0-0-1.lovense.club").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    let body = r#"{"command":"GetToyName"}"#;
    tls.write_all(
        format!(
            "POST /command HTTP/1.1\r\nHost: 127-0-0-1.lovense.club:30010\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.ends_with(r#"{"code":200,"data":[],"type":"OK"}"#),
        "{out}"
    );
    handle.shutdown(Duration::from_secs(1)).await;
    // The second start keeps the certificate the user may have trusted.
    let again = teleplug::lovense_api::start(&server, options)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&cert_path).unwrap(), made);
    again.shutdown(Duration::from_secs(1)).await;
    server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn the_user_chooses_the_model_a_device_is_shown_as() {
    let r = rig_with(
        vec![aneros("an-1"), aneros("an-2")],
        LovenseApiOptions {
            names: [("an-2".to_string(), "nora".to_string())].into(),
            ..LovenseApiOptions::default()
        },
    )
    .await;
    let names: Vec<Value> = toys(&r.api)
        .await
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("edge"), json!("nora")], "by address");
    r.server.shutdown(Duration::from_secs(1)).await;
}

/// Sets `user_config.lovense_api_name` on the user device entry at `address`.
fn name_in_user_config(config: &mut Value, address: &str, model: &str) {
    let devices = config["user_configs"]["devices"]
        .as_array_mut()
        .expect("the written config lists its devices");
    let entry = devices
        .iter_mut()
        .find(|d| d["identifier"]["address"] == address)
        .expect("the device's entry");
    entry["config"]["user_config"]["lovense_api_name"] = json!(model);
}

#[tokio::test(start_paused = true)]
async fn the_user_device_config_chooses_the_model_a_device_is_shown_as() {
    // A first run writes the two devices into the user config, as Intiface does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user.json");
    let first = Server::new(ServerOptions {
        transports: Transports::none(),
        user_config_file: Some(path.clone()),
        ..ServerOptions::default()
    });
    let mut ops = Vec::new();
    for address in ["an-1", "an-2"] {
        let d = SimulatedDevice::new(aneros(address));
        ops.push(d.op_receiver());
        first.advertise(d);
    }
    first.start_scanning().await;
    for rx in ops.iter_mut() {
        until_connected(rx).await;
    }
    first.flush_user_config().await.expect("written").unwrap();
    first.shutdown(Duration::from_secs(1)).await;

    // The user names one of them; the command line names nothing.
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    name_in_user_config(&mut config, "an-1", "Nora");
    let device_config = teleplug::device_config::DeviceConfig::embedded()
        .with_user_config_json(&config.to_string())
        .expect("Teleplug's own key is accepted");
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        device_config,
        ..ServerOptions::default()
    });
    let mut ops = Vec::new();
    for address in ["an-1", "an-2"] {
        let d = SimulatedDevice::new(aneros(address));
        ops.push(d.op_receiver());
        server.advertise(d);
    }
    let api = LovenseApi::new(&server, LovenseApiOptions::default()).expect("API starts");
    for rx in ops.iter_mut() {
        until_connected(rx).await;
    }
    let names: Vec<Value> = toys(&api).await.iter().map(|t| t["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("edge"), json!("nora")],
        "an-1 named by the config"
    );

    // A command-line override still wins over the config.
    let api = LovenseApi::new(
        &server,
        LovenseApiOptions {
            names: [("an-1".to_string(), "max".to_string())].into(),
            ..LovenseApiOptions::default()
        },
    )
    .expect("API starts");
    let names: Vec<Value> = toys(&api).await.iter().map(|t| t["name"].clone()).collect();
    assert_eq!(names, [json!("edge"), json!("max")]);
    server.shutdown(Duration::from_secs(1)).await;
}

/// A Fleshlight Launch (`kiiroo-v2`): one HwPositionWithDuration output of 0–99, no Oscillate,
/// each move `[position, speed]` on `tx` (after a `[0]` to `firmware` at connection).
fn launch(address: &str) -> SimulatedDeviceSpec {
    SimulatedDeviceSpec::new("Launch", address)
}

/// The position byte of the stroker's next move and when it came (since `start`).
async fn next_move(rx: &mut UnboundedReceiver<SimOp>, start: Instant) -> (u8, Duration) {
    loop {
        let (endpoint, data, _) = support::ops::next_write(rx).await;
        if endpoint == teleplug::hardware::Endpoint::Tx {
            return (data[0], start.elapsed());
        }
    }
}

/// Asserts the stroker gets no move for `quiet` (paused clock: the time passes at once).
async fn no_move_for(rx: &mut UnboundedReceiver<SimOp>, quiet: Duration, why: &str) {
    let start = Instant::now();
    let got = tokio::time::timeout(quiet, next_move(rx, start)).await;
    assert!(got.is_err(), "{why}: {got:?}");
}

const MS: fn(u64) -> Duration = Duration::from_millis;

#[tokio::test(start_paused = true)]
async fn thrusting_strokes_a_stroker_between_the_stroke_range_at_a_speed_rising_with_the_level() {
    let mut r = rig(vec![launch("launch-1")], Duration::ZERO).await;
    let list = toys(&r.api).await;
    assert!(
        list[0]["fullFunctionNames"]
            .as_array()
            .unwrap()
            .contains(&json!("Thrusting")),
        "a stroker answers to Thrusting: {}",
        list[0]
    );
    let ops = &mut r.ops[0];
    // Thrusting 10, no Stroke yet: the whole range, 1.68 strokes/s (296 ms per move).
    let start = Instant::now();
    let reply = post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:10", "timeSec": 0, "apiVer": 1}),
    )
    .await;
    assert_eq!(reply, ok());
    assert_eq!(next_move(ops, start).await, (99, MS(0)));
    assert_eq!(next_move(ops, start).await, (0, MS(296)));
    assert_eq!(next_move(ops, start).await, (99, MS(592)));
    // The documentation's `Stroke:0-20,Thrusting:10` form: range and level in one request;
    // Thrusting 20 is 3 strokes/s (166 ms per move), between 20 % and 80 % of 0–99.
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Stroke:20-80,Thrusting:20", "timeSec": 0}),
    )
    .await;
    assert_eq!(next_move(ops, start).await, (79, MS(0)));
    assert_eq!(next_move(ops, start).await, (20, MS(166)));
    assert_eq!(next_move(ops, start).await, (79, MS(332)));
    // Thrusting 0 ends it: the toy stays where it is.
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:0", "timeSec": 0}),
    )
    .await;
    no_move_for(ops, Duration::from_secs(3), "Thrusting:0 stops the strokes").await;
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn stroke_alone_sets_the_range_and_strokes_end_on_time_sec_stop_the_watchdog_and_a_stop_all()
{
    let mut r = rig(vec![launch("launch-1")], Duration::from_secs(30)).await;
    let ops = &mut r.ops[0];
    // Stroke alone moves nothing, but the next Thrusting strokes in its range (30–70 %).
    post(
        &r.api,
        json!({"command": "Function", "action": "Stroke:30-70", "timeSec": 0}),
    )
    .await;
    no_move_for(ops, Duration::from_secs(2), "Stroke alone drives nothing").await;
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:1", "timeSec": 3}),
    )
    .await;
    assert_eq!(next_move(ops, start).await, (69, MS(0)));
    assert_eq!(next_move(ops, start).await, (30, MS(1000)));
    assert_eq!(next_move(ops, start).await, (69, MS(2000)));
    no_move_for(ops, Duration::from_secs(3), "timeSec 3 ended it").await;
    // A new Thrusting changes the speed at once.
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:20", "timeSec": 0}),
    )
    .await;
    assert_eq!(next_move(ops, start).await, (69, MS(0)));
    assert_eq!(next_move(ops, start).await, (30, MS(166)));
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:5", "timeSec": 0}),
    )
    .await;
    assert_eq!(next_move(ops, start).await, (69, MS(0)));
    assert_eq!(next_move(ops, start).await, (30, MS(487)));
    // Stop ends it.
    post(
        &r.api,
        json!({"command": "Function", "action": "Stop", "timeSec": 0}),
    )
    .await;
    no_move_for(ops, Duration::from_secs(3), "Stop ends the strokes").await;
    // A silent game: the watchdog ends an endless stroke 30 s after the last request.
    let start = Instant::now();
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:20", "timeSec": 0}),
    )
    .await;
    let mut last = Duration::ZERO;
    while let Ok((_, at)) =
        tokio::time::timeout(Duration::from_secs(5), next_move(&mut *ops, start)).await
    {
        last = at;
    }
    assert!(
        last > Duration::from_secs(29) && last < Duration::from_secs(30),
        "last move at {last:?}"
    );
    // The server stopping every device ends a stroke too.
    post(
        &r.api,
        json!({"command": "Function", "action": "Thrusting:20", "timeSec": 0}),
    )
    .await;
    let start = Instant::now();
    next_move(ops, start).await;
    let mut events = r.server.events();
    r.server.stop_all_devices(Duration::from_secs(1)).await;
    while events.recv().await.unwrap() != ServerEvent::AllStopped {}
    no_move_for(
        ops,
        Duration::from_secs(3),
        "the stop-all ended the strokes",
    )
    .await;
    r.server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_toy_with_oscillate_thrusts_with_it_not_with_strokes() {
    // The OSSM has both a position output and an Oscillate one (its stroke engine's speed):
    // as on a Gravity, Thrusting sets the Oscillate speed.
    let mut r = rig(
        vec![SimulatedDeviceSpec::new("OSSM", "ossm-1")],
        Duration::ZERO,
    )
    .await;
    let ops = &mut r.ops[0];
    post(
        &r.api,
        json!({"command": "Function", "action": "Stroke:0-50,Thrusting:10", "timeSec": 0}),
    )
    .await;
    let mut texts = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            let (_, data, _) = support::ops::next_write(&mut *ops).await;
            texts.push(String::from_utf8_lossy(&data).into_owned());
        }
    })
    .await;
    assert!(texts.contains(&"set:speed:50".to_string()), "{texts:?}");
    assert!(
        !texts.iter().any(|t| t.starts_with("stream:")),
        "no position moves: {texts:?}"
    );
    r.server.shutdown(Duration::from_secs(1)).await;
}
