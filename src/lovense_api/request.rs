//! Requests of the Lovense local API as data: `POST /command` JSON (also form-encoded or in the
//! query string, any key and command case) and the legacy Lovense Connect routes (`GET
//! /Vibrate?v=&t=` …, GET or POST), parsed into [`Request`], or an [`ApiError`] with the
//! Lovense error code (400 Invalid Command, 404 Invalid Parameter).

use std::time::Duration;

use serde_json::{Map, Value};

use super::toys::Func;

/// A Lovense error: the code and message of the body (sent with HTTP 200).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub message: String,
}

impl ApiError {
    pub fn invalid_command(what: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: 400,
            message: format!("Invalid Command: {what}"),
        }
    }
    pub fn toy_not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: 401,
            message: format!("Toy Not Found: {what}"),
        }
    }
    pub fn toy_not_connected(what: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: 402,
            message: format!("Toy Not Connected: {what}"),
        }
    }
    pub fn unsupported(what: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: 403,
            message: format!("Toy Doesn't Support This Command: {what}"),
        }
    }
    pub fn invalid_parameter(what: impl std::fmt::Display) -> ApiError {
        ApiError {
            code: 404,
            message: format!("Invalid Parameter: {what}"),
        }
    }
}

/// One action of a `Function` request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    /// A function at a level in its Lovense range (negative: Rotate anticlockwise).
    Set(Func, f64),
    /// `All:N`: every function not named in the same request.
    All(f64),
    Stop,
    /// `Stroke:min-max` (0–100): accepted, no output of its own.
    Stroke(u8, u8),
}

/// Which toys a request is for: `None` = every toy.
pub type Toys = Option<Vec<String>>;

/// The four presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Pulse,
    Wave,
    Fireworks,
    Earthquake,
}

impl Preset {
    /// The strengths (0–20) played in a loop and the interval between them.
    pub fn steps(self) -> (&'static [u8], Duration) {
        match self {
            Preset::Pulse => (&[20, 0], Duration::from_millis(500)),
            Preset::Wave => (
                &[0, 4, 8, 12, 16, 20, 16, 12, 8, 4],
                Duration::from_millis(200),
            ),
            Preset::Fireworks => (
                &[4, 8, 12, 16, 20, 20, 0, 20, 0, 0],
                Duration::from_millis(150),
            ),
            Preset::Earthquake => (
                &[20, 12, 18, 8, 20, 14, 6, 20, 10, 16],
                Duration::from_millis(100),
            ),
        }
    }

    fn parse(name: &str) -> Option<Preset> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "pulse" => Preset::Pulse,
            "wave" => Preset::Wave,
            "fireworks" => Preset::Fireworks,
            "earthquake" => Preset::Earthquake,
            _ => return None,
        })
    }
}

/// Timing shared by Function, Pattern and Preset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// `timeSec`: `None` = until changed.
    pub total: Option<Duration>,
    /// `loopRunningSec`/`loopPauseSec`.
    pub cycle: Option<(Duration, Duration)>,
    /// `stopPrevious` (default true).
    pub stop_previous: bool,
}

impl Timing {
    /// Until changed, layered over the toy's other programs (Position, the air pump's steps).
    pub const LAYERED_UNTIL_CHANGED: Timing = Timing {
        total: None,
        cycle: None,
        stop_previous: false,
    };
}

/// A PatternV2 step.
#[derive(Clone, Debug, PartialEq)]
pub enum PatternV2 {
    Setup(Vec<(u32, u8)>),
    /// Play the set-up actions (or these, for InitPlay) from `start` ms, `offset` ms later
    /// (network delay), for `time` if given.
    Play {
        actions: Option<Vec<(u32, u8)>>,
        start: u32,
        offset: u32,
        time: Option<Duration>,
    },
    Stop,
    SyncTime,
}

/// A parsed request.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `legacy`: the Lovense Connect `GET /GetToys` form of the answer.
    GetToys {
        legacy: bool,
    },
    GetToyName,
    Function {
        actions: Vec<Action>,
        timing: Timing,
        toys: Toys,
    },
    Pattern {
        /// `None`: every function (`F:;`).
        funcs: Option<Vec<Func>>,
        interval: Duration,
        strengths: Vec<u8>,
        timing: Timing,
        toys: Toys,
    },
    Preset {
        preset: Option<Preset>,
        timing: Timing,
        toys: Toys,
    },
    Position {
        value: u8,
        toys: Toys,
    },
    PatternV2 {
        step: PatternV2,
        toys: Toys,
    },
    Battery {
        toys: Toys,
    },
    /// Legacy `RotateChange`: reverse the rotation.
    RotateChange {
        toys: Toys,
    },
    /// Legacy `AirIn`/`AirOut`: pump one step up or down.
    AirStep {
        up: bool,
        toys: Toys,
    },
}

/// A request's fields, keys compared without case.
struct Fields(Map<String, Value>);

impl Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A number given as a number or a string; `Err` when present but not a number.
    fn number(&self, key: &str) -> Result<Option<f64>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(ApiError::invalid_parameter(format!(
                "{key} is not a number"
            ))),
        }
    }

    fn seconds(&self, key: &str) -> Result<Option<Duration>, ApiError> {
        match self.number(key)? {
            None => Ok(None),
            Some(s) if !(0.0..=86_400.0).contains(&s) => Err(ApiError::invalid_parameter(format!(
                "{key} must be between 0 and 86400"
            ))),
            Some(0.0) => Ok(None),
            Some(s) => Ok(Some(Duration::from_secs_f64(s))),
        }
    }

    fn ms(&self, key: &str, max: u32) -> Result<u32, ApiError> {
        match self.number(key)? {
            None => Ok(0),
            Some(v) if (0.0..=f64::from(max)).contains(&v) => Ok(v as u32),
            Some(_) => Err(ApiError::invalid_parameter(format!(
                "{key} must be between 0 and {max}"
            ))),
        }
    }

    fn toys(&self) -> Result<Toys, ApiError> {
        let list: Vec<String> = match self.get("toy") {
            None => return Ok(None),
            Some(Value::String(s)) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    _ => Err(ApiError::invalid_parameter("toy must be a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(ApiError::invalid_parameter("toy must be a string")),
        };
        Ok((!list.is_empty()).then_some(list))
    }

    fn timing(&self) -> Result<Timing, ApiError> {
        let run = self.seconds("loopRunningSec")?;
        let pause = self.seconds("loopPauseSec")?;
        let stop_previous = match self.number("stopPrevious")? {
            None => true,
            Some(v) => v != 0.0,
        };
        Ok(Timing {
            total: self.seconds("timeSec")?,
            cycle: run.zip(pause),
            stop_previous,
        })
    }
}

/// Parse a `POST /command` body (JSON, or form-encoded) merged with the query string.
pub fn parse_command(body: &[u8], query: Option<&str>) -> Result<Request, ApiError> {
    let mut map = Map::new();
    if let Some(q) = query {
        map.extend(form_pairs(q.as_bytes()));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid_parameter("the body is not UTF-8"))?
        .trim();
    if text.starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(o)) => map.extend(o),
            _ => return Err(ApiError::invalid_parameter("the body is not a JSON object")),
        }
    } else if !text.is_empty() {
        map.extend(form_pairs(text.as_bytes()));
    }
    let f = Fields(map);
    let Some(command) = f.str("command") else {
        return Err(ApiError::invalid_command("no command"));
    };
    let toys = f.toys()?;
    Ok(match command.to_ascii_lowercase().as_str() {
        "gettoys" => Request::GetToys { legacy: false },
        "gettoyname" => Request::GetToyName,
        "function" => {
            let action = f
                .str("action")
                .ok_or_else(|| ApiError::invalid_parameter("no action"))?;
            Request::Function {
                actions: parse_actions(&action)?,
                timing: f.timing()?,
                toys,
            }
        }
        "stop" => Request::Function {
            actions: vec![Action::Stop],
            timing: f.timing()?,
            toys,
        },
        "pattern" => {
            let rule = f.str("rule").unwrap_or_default();
            let (funcs, interval) = parse_rule(&rule)?;
            let strength = f
                .str("strength")
                .ok_or_else(|| ApiError::invalid_parameter("no strength"))?;
            Request::Pattern {
                funcs,
                interval,
                strengths: parse_strengths(&strength)?,
                timing: f.timing()?,
                toys,
            }
        }
        "preset" => {
            let name = f.str("name").unwrap_or_default();
            let preset = match Preset::parse(&name) {
                Some(p) => Some(p),
                None if name.trim().is_empty() || name.eq_ignore_ascii_case("stop") => None,
                None => return Err(ApiError::invalid_parameter(format!("no preset {name:?}"))),
            };
            Request::Preset {
                preset,
                timing: f.timing()?,
                toys,
            }
        }
        "position" => {
            let value = f
                .number("value")?
                .filter(|v| (0.0..=100.0).contains(v))
                .ok_or_else(|| ApiError::invalid_parameter("value must be 0 to 100"))?;
            Request::Position {
                value: value.round() as u8,
                toys,
            }
        }
        "patternv2" => Request::PatternV2 {
            step: parse_pattern_v2(&f)?,
            toys,
        },
        "battery" => Request::Battery { toys },
        other => return Err(ApiError::invalid_command(other)),
    })
}

fn parse_pattern_v2(f: &Fields) -> Result<PatternV2, ApiError> {
    let kind = f.str("type").unwrap_or_default().to_ascii_lowercase();
    let actions = match f.get("actions") {
        None => None,
        Some(v) => Some(parse_v2_actions(v)?),
    };
    let play = |actions| -> Result<PatternV2, ApiError> {
        Ok(PatternV2::Play {
            actions,
            start: f.ms("startTime", 7_200_000)?,
            offset: f.ms("offsetTime", 15_000)?,
            time: match f.ms("timeMs", 7_200_000)? {
                0 => None,
                ms => Some(Duration::from_millis(ms.into())),
            },
        })
    };
    match kind.as_str() {
        "setup" => {
            Ok(PatternV2::Setup(actions.ok_or_else(|| {
                ApiError::invalid_parameter("Setup needs actions")
            })?))
        }
        "play" => play(None),
        "initplay" => play(actions),
        "stop" => Ok(PatternV2::Stop),
        "synctime" => Ok(PatternV2::SyncTime),
        _ => Err(ApiError::invalid_parameter(format!(
            "PatternV2 type {kind:?}"
        ))),
    }
}

fn parse_v2_actions(v: &Value) -> Result<Vec<(u32, u8)>, ApiError> {
    let v = match v {
        // Some clients send the list as a JSON string.
        Value::String(s) => serde_json::from_str(s)
            .map_err(|_| ApiError::invalid_parameter("actions is not a JSON list"))?,
        v => v.clone(),
    };
    let Value::Array(items) = v else {
        return Err(ApiError::invalid_parameter("actions must be a list"));
    };
    let mut out: Vec<(u32, u8)> = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(o) = item else {
            return Err(ApiError::invalid_parameter("an action must be {ts,pos}"));
        };
        let f = Fields(o);
        let ts = f.number("ts")?;
        let pos = f.number("pos")?;
        let (Some(ts), Some(pos)) = (ts, pos) else {
            return Err(ApiError::invalid_parameter("an action must be {ts,pos}"));
        };
        if !(0.0..=7_200_000.0).contains(&ts) || !(0.0..=100.0).contains(&pos) {
            return Err(ApiError::invalid_parameter(
                "ts must be 0 to 7200000 and pos 0 to 100",
            ));
        }
        let ts = ts as u32;
        if out.last().is_some_and(|(last, _)| *last >= ts) {
            return Err(ApiError::invalid_parameter("ts must increase"));
        }
        out.push((ts, pos.round() as u8));
    }
    Ok(out)
}

/// `Vibrate:2,Rotate:3`, `Stroke:0-20,Thrusting:10`, `vibrate:0`, `Stop`.
pub fn parse_actions(text: &str) -> Result<Vec<Action>, ApiError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = match part.split_once(':') {
            Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim())),
            None => (part.to_ascii_lowercase(), None),
        };
        if name == "stop" {
            out.push(Action::Stop);
            continue;
        }
        let value =
            value.ok_or_else(|| ApiError::invalid_parameter(format!("{part}: no value")))?;
        if name == "stroke" {
            let (lo, hi) = value
                .split_once('-')
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?))
                })
                .filter(|(a, b)| a <= b && *b <= 100)
                .ok_or_else(|| ApiError::invalid_parameter(format!("{part}: Stroke is min-max")))?;
            out.push(Action::Stroke(lo, hi));
            continue;
        }
        let v: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| ApiError::invalid_parameter(format!("{part}: bad value")))?;
        let func = match name.as_str() {
            "all" => {
                out.push(Action::All(v.min(20.0)));
                continue;
            }
            "vibrate" => Func::Vibrate(None),
            "vibrate1" => Func::Vibrate(Some(1)),
            "vibrate2" => Func::Vibrate(Some(2)),
            "vibrate3" => Func::Vibrate(Some(3)),
            "rotate" => Func::Rotate,
            "pump" => Func::Pump,
            "thrusting" => Func::Thrusting,
            "fingering" => Func::Fingering,
            "suction" => Func::Suction,
            "depth" => Func::Depth,
            "oscillate" => Func::Oscillate,
            "position" => Func::Position,
            _ => {
                return Err(ApiError::invalid_parameter(format!(
                    "unknown action {part}"
                )));
            }
        };
        out.push(Action::Set(func, v.min(func.lovense_max())));
    }
    if out.is_empty() {
        return Err(ApiError::invalid_parameter("no action"));
    }
    Ok(out)
}

/// `V:1;F:vrp;S:1000#` → the functions (`None`: all) and the interval (at least 100 ms).
fn parse_rule(rule: &str) -> Result<(Option<Vec<Func>>, Duration), ApiError> {
    let mut funcs = None;
    let mut interval = Duration::from_millis(1000);
    for part in rule.trim().trim_end_matches('#').split(';') {
        let Some((k, v)) = part.split_once(':') else {
            continue;
        };
        match k.trim().to_ascii_uppercase().as_str() {
            "F" => {
                let letters: Vec<Func> = v
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != ',')
                    .map(|c| {
                        Func::from_letter(c).ok_or_else(|| {
                            ApiError::invalid_parameter(format!("rule: unknown function {c:?}"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                funcs = (!letters.is_empty()).then_some(letters);
            }
            "S" => {
                let ms: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::invalid_parameter("rule: S is milliseconds"))?;
                interval = Duration::from_millis(ms.max(100));
            }
            _ => {}
        }
    }
    Ok((funcs, interval))
}

/// `20;20;5;20;10`: at most 50 strengths of 0–20.
fn parse_strengths(text: &str) -> Result<Vec<u8>, ApiError> {
    let v: Vec<u8> = text
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=20.0).contains(v))
                .map(|v| v.round() as u8)
                .ok_or_else(|| ApiError::invalid_parameter(format!("strength {s:?}")))
        })
        .collect::<Result<_, _>>()?;
    if v.is_empty() || v.len() > 50 {
        return Err(ApiError::invalid_parameter("1 to 50 strengths"));
    }
    Ok(v)
}

fn form_pairs(text: &[u8]) -> Map<String, Value> {
    url_decode_pairs(text)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// `a=1&b=x%20y` → pairs (`+` is a space).
pub fn url_decode_pairs(text: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &[u8]) -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    match std::str::from_utf8(&s[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    text.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (decode(&p[..i]), decode(&p[i + 1..])),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// A legacy Lovense Connect route (`/Vibrate`, `/AVibRotate`, `/GetToys` …) with its query
/// (`v`, `r`, `a`, `sec`, `t` = toy).
pub fn parse_legacy(route: &str, query: Option<&str>) -> Result<Request, ApiError> {
    let pairs = query
        .map(|q| url_decode_pairs(q.as_bytes()))
        .unwrap_or_default();
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k, Value::String(v));
    }
    let f = Fields(map);
    let toys = match f.str("t") {
        Some(t) if !t.trim().is_empty() => Some(vec![t.trim().to_string()]),
        _ => None,
    };
    let level = |key: &str, max: f64| -> Result<f64, ApiError> {
        match f.number(key)? {
            Some(v) if v >= 0.0 => Ok(v.min(max)),
            Some(_) => Err(ApiError::invalid_parameter(format!(
                "{key} must not be negative"
            ))),
            None => Err(ApiError::invalid_parameter(format!("no {key}"))),
        }
    };
    let timed = |total: Option<Duration>| Timing {
        total,
        cycle: None,
        stop_previous: true,
    };
    let function = |actions: Vec<Action>, total: Option<Duration>| Request::Function {
        actions,
        timing: timed(total),
        toys: toys.clone(),
    };
    let sec = || f.seconds("sec");
    let route = route.to_ascii_lowercase();
    let simple = |func: Func| -> Result<Request, ApiError> {
        Ok(function(
            vec![Action::Set(func, level("v", func.lovense_max())?)],
            None,
        ))
    };
    Ok(match route.as_str() {
        "" | "gettoys" => Request::GetToys { legacy: true },
        "gettoyname" => Request::GetToyName,
        "battery" => Request::Battery { toys },
        "vibrate" => simple(Func::Vibrate(None))?,
        "vibrate1" => simple(Func::Vibrate(Some(1)))?,
        "vibrate2" => simple(Func::Vibrate(Some(2)))?,
        "vibrate3" => simple(Func::Vibrate(Some(3)))?,
        "rotate" | "rotateclockwise" => simple(Func::Rotate)?,
        "rotateanticlockwise" => {
            function(vec![Action::Set(Func::Rotate, -level("v", 20.0)?)], None)
        }
        "thrusting" => simple(Func::Thrusting)?,
        "fingering" => simple(Func::Fingering)?,
        "suction" => simple(Func::Suction)?,
        "depth" => simple(Func::Depth)?,
        "oscillate" => simple(Func::Oscillate)?,
        "pump" | "airauto" => simple(Func::Pump)?,
        "rotatechange" => Request::RotateChange { toys },
        "airin" => Request::AirStep { up: true, toys },
        "airout" => Request::AirStep { up: false, toys },
        "preset" => {
            let preset = match level("v", 4.0)? as u8 {
                0 => None,
                1 => Some(Preset::Pulse),
                2 => Some(Preset::Wave),
                3 => Some(Preset::Fireworks),
                _ => Some(Preset::Earthquake),
            };
            Request::Preset {
                preset,
                timing: timed(None),
                toys,
            }
        }
        "avibrate" => function(
            vec![Action::Set(Func::Vibrate(None), level("v", 20.0)?)],
            sec()?,
        ),
        "avibrate1" => function(
            vec![Action::Set(Func::Vibrate(Some(1)), level("v", 20.0)?)],
            sec()?,
        ),
        "avibrate2" => function(
            vec![Action::Set(Func::Vibrate(Some(2)), level("v", 20.0)?)],
            sec()?,
        ),
        "arotate" => function(vec![Action::Set(Func::Rotate, level("r", 20.0)?)], sec()?),
        "aairlevel" => function(vec![Action::Set(Func::Pump, level("a", 3.0)?)], sec()?),
        "avibrotate" => function(
            vec![
                Action::Set(Func::Vibrate(None), level("v", 20.0)?),
                Action::Set(Func::Rotate, level("r", 20.0)?),
            ],
            sec()?,
        ),
        "avibair" => function(
            vec![
                Action::Set(Func::Vibrate(None), level("v", 20.0)?),
                Action::Set(Func::Pump, level("a", 3.0)?),
            ],
            sec()?,
        ),
        other => return Err(ApiError::invalid_command(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_in_any_case_with_stroke_and_all() {
        assert_eq!(
            parse_actions("vibrate:0").unwrap(),
            [Action::Set(Func::Vibrate(None), 0.0)]
        );
        assert_eq!(
            parse_actions("Stroke:0-20,Thrusting:10,All:30").unwrap(),
            [
                Action::Stroke(0, 20),
                Action::Set(Func::Thrusting, 10.0),
                Action::All(20.0)
            ]
        );
        assert_eq!(
            parse_actions("Pump:9").unwrap(),
            [Action::Set(Func::Pump, 3.0)]
        );
        assert_eq!(parse_actions("Wiggle:3").unwrap_err().code, 404);
        assert_eq!(parse_actions("Vibrate:-1").unwrap_err().code, 404);
        assert_eq!(parse_actions("Vibrate:x").unwrap_err().code, 404);
    }

    #[test]
    fn rules_select_functions_and_interval() {
        let (f, s) = parse_rule("V:1;F:vr;S:1000#").unwrap();
        assert_eq!(f, Some(vec![Func::Vibrate(None), Func::Rotate]));
        assert_eq!(s, Duration::from_millis(1000));
        assert_eq!(
            parse_rule("V:1;F:;S:50#").unwrap(),
            (None, Duration::from_millis(100))
        );
        assert_eq!(parse_strengths(&"1;".repeat(51)).unwrap_err().code, 404);
    }

    #[test]
    fn url_pairs_decode_percent_and_plus() {
        assert_eq!(
            url_decode_pairs(b"v=5&t=ab%20c+d&x"),
            [
                ("v".into(), "5".into()),
                ("t".into(), "ab c d".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(url_decode_pairs(b"a=%2"), [("a".into(), "%2".into())]);
    }
}
