//! Carrying out a parsed request: choosing the toys, building the programs the engine plays
//! (`stopPrevious`, layering, stop; `Thrusting` on a stroker as strokes between the last
//! `Stroke` range), and the answers' JSON (the POST and legacy GetToys forms,
//! GetToyName, battery).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::LovenseApi;
use super::program::{Program, Shape, stroke_half_period};
use super::request::{Action, ApiError, PatternV2, Request, Timing, Toys};
use super::toys::{Func, Output, OutputKey, Toy, connect_name};
use crate::wire::{
    ClientMessage, InputCmd, InputCommandType, InputType, OutputType, ServerMessage,
};

/// How long a battery level is reused before it is read again.
const BATTERY_FRESH: Duration = Duration::from_secs(60);
/// How long a battery read may take before the toy is listed without a new level.
const BATTERY_READ_TIMEOUT: Duration = Duration::from_secs(1);
/// Time to reach a real-time `Position` when it is the first one (later: the time since the
/// previous one, within 50 ms – 1 s).
const FIRST_POSITION_MS: u32 = 500;

impl LovenseApi {
    /// Answer one request (the body of the HTTP 200 answer, or the Lovense error).
    pub async fn handle(&self, request: Request) -> Result<Value, ApiError> {
        let now = Instant::now();
        self.inner.engine.state.lock().last_request = now;
        let result = match request {
            Request::GetToys { legacy } => return Ok(self.get_toys(legacy).await),
            Request::GetToyName => {
                let names: Vec<String> =
                    self.toys().iter().map(|t| connect_name(&t.name)).collect();
                return Ok(json!({"code": 200, "type": "OK", "data": names}));
            }
            Request::Battery { toys } => {
                let toy = self
                    .select(&toys)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::toy_not_connected("no toy"))?;
                let level = self.battery(&toy).await;
                return Ok(json!({"code": 200, "type": "ok", "data": level}));
            }
            Request::Function {
                actions,
                timing,
                toys,
            } => self.function(&actions, timing, &toys, now),
            Request::Pattern {
                funcs,
                interval,
                strengths,
                timing,
                toys,
            } => {
                let strengths: Arc<[u8]> = strengths.into();
                self.each(&toys, |toy| {
                    let outputs = match &funcs {
                        None => toy.intensity_outputs(),
                        Some(list) => dedup(list.iter().flat_map(|f| toy.targets(*f)).collect()),
                    };
                    let shape = Shape::Steps {
                        strengths: strengths.clone(),
                        interval,
                    };
                    Ok(program(
                        outputs.into_iter().map(|o| (o, 1.0)).collect(),
                        shape,
                        timing,
                        now,
                    ))
                })
            }
            Request::Preset {
                preset,
                timing,
                toys,
            } => match preset {
                None => self.function(&[Action::Stop], timing, &toys, now),
                Some(p) => self.each(&toys, |toy| {
                    let (strengths, interval) = p.steps();
                    let shape = Shape::Steps {
                        strengths: strengths.into(),
                        interval,
                    };
                    let outputs = toy
                        .intensity_outputs()
                        .into_iter()
                        .map(|o| (o, 1.0))
                        .collect();
                    Ok(program(outputs, shape, timing, now))
                }),
            },
            Request::Position { value, toys } => {
                let fraction = f64::from(value) / 100.0;
                self.each(&toys, |toy| {
                    let mut p = program(
                        toy.position_outputs()
                            .into_iter()
                            .map(|o| (o, fraction))
                            .collect(),
                        Shape::Constant,
                        Timing::LAYERED_UNTIL_CHANGED,
                        now,
                    );
                    p.0.duration_ms = self.position_duration(toy.index, now);
                    Ok(p)
                })
            }
            Request::PatternV2 { step, toys } => self.pattern_v2(step, &toys, now),
            Request::RotateChange { toys } => {
                let selected = self.select(&toys)?;
                let mut st = self.inner.engine.state.lock();
                for toy in selected {
                    for p in st.programs.get_mut(&toy.index).into_iter().flatten() {
                        for (o, f) in p.outputs.iter_mut() {
                            if o.key.output == OutputType::Rotate {
                                *f = -*f;
                            }
                        }
                    }
                }
                Ok(())
            }
            Request::AirStep { up, toys } => {
                let selected = self.select(&toys)?;
                let mut st = self.inner.engine.state.lock();
                for toy in selected {
                    let pumps = toy.targets(Func::Pump);
                    let Some(first) = pumps.first() else { continue };
                    let current = current_fraction(st.programs.get(&toy.index), first.key);
                    let step = 1.0 / 3.0;
                    let next = (current + if up { step } else { -step }).clamp(0.0, 1.0);
                    let p = program(
                        pumps.into_iter().map(|o| (o, next)).collect(),
                        Shape::Constant,
                        Timing::LAYERED_UNTIL_CHANGED,
                        now,
                    );
                    st.add(toy.index, p.0, false);
                }
                Ok(())
            }
        };
        result?;
        self.inner.engine.wake();
        Ok(json!({"code": 200, "type": "ok"}))
    }

    /// The toys a request names (`None`: all). An id, model or nick name that matches nothing
    /// is 401, or 402 for a toy that was listed before and is gone.
    fn select(&self, toys: &Toys) -> Result<Vec<Toy>, ApiError> {
        let all = self.toys();
        let Some(keys) = toys else { return Ok(all) };
        let mut out: Vec<Toy> = Vec::new();
        for key in keys {
            let found: Vec<&Toy> = all.iter().filter(|t| t.answers_to(key)).collect();
            if found.is_empty() {
                let seen = self
                    .inner
                    .seen
                    .lock()
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(key));
                return Err(if seen {
                    ApiError::toy_not_connected(key)
                } else {
                    ApiError::toy_not_found(key)
                });
            }
            for t in found {
                if !out.iter().any(|o| o.index == t.index) {
                    out.push(t.clone());
                }
            }
        }
        Ok(out)
    }

    /// Add the program `make` builds to each selected toy. A toy named in the request on which
    /// the program drives nothing is 403 (on all toys, those are skipped).
    fn each(
        &self,
        toys: &Toys,
        make: impl Fn(&Toy) -> Result<(Program, bool), ApiError>,
    ) -> Result<(), ApiError> {
        self.each_many(toys, |toy| make(toy).map(|(p, s)| (vec![p], s)))
    }

    /// As [`Self::each`], with several programs per toy (the first replaces the toy's earlier
    /// ones if asked, the others layer over it).
    fn each_many(
        &self,
        toys: &Toys,
        make: impl Fn(&Toy) -> Result<(Vec<Program>, bool), ApiError>,
    ) -> Result<(), ApiError> {
        let selected = self.select(toys)?;
        let mut built = Vec::new();
        for toy in &selected {
            let (mut programs, stop_previous) = make(toy)?;
            programs.retain(|p| !p.outputs.is_empty());
            if programs.is_empty() {
                if toys.is_some() {
                    return Err(ApiError::unsupported(format!("{} ({})", toy.id, toy.name)));
                }
                continue;
            }
            built.push((toy.index, programs, stop_previous));
        }
        let mut st = self.inner.engine.state.lock();
        for (index, programs, stop_previous) in built {
            for (i, p) in programs.into_iter().enumerate() {
                st.add(index, p, stop_previous && i == 0);
            }
        }
        Ok(())
    }

    fn function(
        &self,
        actions: &[Action],
        timing: Timing,
        toys: &Toys,
        now: Instant,
    ) -> Result<(), ApiError> {
        let stop = actions.contains(&Action::Stop);
        let settings: Vec<&Action> = actions
            .iter()
            .filter(|a| matches!(a, Action::Set(..) | Action::All(_)))
            .collect();
        if stop {
            let selected = self.select(toys)?;
            let mut st = self.inner.engine.state.lock();
            for toy in &selected {
                st.stop(toy.index);
            }
        }
        if let Some((low, high)) = actions.iter().rev().find_map(|a| match a {
            Action::Stroke(l, h) => Some((*l, *h)),
            _ => None,
        }) {
            // The range of this and later strokes; a stroke running now takes it at once.
            let selected = self.select(toys)?;
            let mut strokes = self.inner.strokes.lock();
            let mut st = self.inner.engine.state.lock();
            for toy in &selected {
                strokes.insert(toy.index, (low, high));
                for p in st.programs.get_mut(&toy.index).into_iter().flatten() {
                    if let Shape::Stroke {
                        low: l, high: h, ..
                    } = &mut p.shape
                    {
                        (*l, *h) = (f64::from(low) / 100.0, f64::from(high) / 100.0);
                    }
                }
            }
        }
        if settings.is_empty() {
            // Stop, or Stroke alone (it shapes Thrusting; nothing of its own to drive).
            return self.select(toys).map(|_| ());
        }
        let thrusting = settings.iter().rev().find_map(|a| match a {
            Action::Set(Func::Thrusting, v) => Some(*v),
            _ => None,
        });
        self.each_many(toys, |toy| {
            let strokes = match thrusting {
                Some(_) => toy.stroke_outputs(),
                None => Vec::new(),
            };
            let mut outputs: Vec<(Output, f64)> = Vec::new();
            for a in &settings {
                if let Action::Set(func, v) = a {
                    if *func == Func::Thrusting && !strokes.is_empty() {
                        continue;
                    }
                    for o in toy.targets(*func) {
                        set_level(&mut outputs, o, v / func.lovense_max());
                    }
                }
            }
            let named: Vec<OutputKey> = outputs.iter().map(|(o, _)| o.key).collect();
            for a in &settings {
                if let Action::All(v) = a {
                    for o in toy.intensity_outputs() {
                        if !named.contains(&o.key) {
                            set_level(&mut outputs, o, v / 20.0);
                        }
                    }
                }
            }
            let mut p = program(outputs, Shape::Constant, timing, now);
            if p.0.outputs.iter().any(|(o, _)| o.is_position()) {
                p.0.duration_ms = self.position_duration(toy.index, now);
            }
            let mut programs = vec![p.0];
            if let (Some(level), false) = (thrusting, strokes.is_empty()) {
                programs.push(self.stroke(toy, strokes, level, timing, now));
            }
            // After a Stop in the same request, the new levels replace nothing else.
            Ok((programs, p.1 || stop))
        })
    }

    /// The stroke program of `Thrusting:level` on a stroker's position outputs, between the
    /// toy's `Stroke` range (the whole range if none came). At level 0 it ends at once: it
    /// takes a running stroke's place and ends it, leaving the toy where it is.
    fn stroke(
        &self,
        toy: &Toy,
        outputs: Vec<Output>,
        level: f64,
        timing: Timing,
        now: Instant,
    ) -> Program {
        let (low, high) = self
            .inner
            .strokes
            .lock()
            .get(&toy.index)
            .copied()
            .unwrap_or((0, 100));
        // Each move at least the device's message gap and its shortest move duration.
        let shortest = outputs
            .iter()
            .filter_map(|o| o.duration.map(|[lo, _]| lo.max(0) as u64))
            .max()
            .map_or(Duration::ZERO, Duration::from_millis)
            .max(toy.message_gap);
        let shape = Shape::Stroke {
            low: f64::from(low) / 100.0,
            high: f64::from(high) / 100.0,
            half: stroke_half_period(level, shortest),
        };
        let mut p = program(
            outputs.into_iter().map(|o| (o, 1.0)).collect(),
            shape,
            timing,
            now,
        )
        .0;
        if level == 0.0 {
            p.end = Some(now);
        }
        p
    }

    fn pattern_v2(&self, step: PatternV2, toys: &Toys, now: Instant) -> Result<(), ApiError> {
        match step {
            PatternV2::SyncTime => self.select(toys).map(|_| ()),
            PatternV2::Setup(actions) => {
                let selected = self.select(toys)?;
                let actions: Arc<[(u32, u8)]> = actions.into();
                let mut scripts = self.inner.scripts.lock();
                for toy in selected {
                    scripts.insert(toy.index, actions.clone());
                }
                Ok(())
            }
            PatternV2::Stop => {
                let selected = self.select(toys)?;
                let mut st = self.inner.engine.state.lock();
                for toy in selected {
                    if let Some(list) = st.programs.get_mut(&toy.index) {
                        list.retain(|p| !matches!(p.shape, Shape::Script { .. }));
                    }
                }
                Ok(())
            }
            PatternV2::Play {
                actions,
                start,
                offset,
                time,
            } => {
                let fresh: Option<Arc<[(u32, u8)]>> = actions.map(Into::into);
                self.each(toys, |toy| {
                    let script = match &fresh {
                        Some(a) => {
                            self.inner.scripts.lock().insert(toy.index, a.clone());
                            a.clone()
                        }
                        None => self
                            .inner
                            .scripts
                            .lock()
                            .get(&toy.index)
                            .cloned()
                            .ok_or_else(|| {
                                ApiError::invalid_parameter("PatternV2: no Setup for this toy")
                            })?,
                    };
                    let from_ms = start.saturating_add(offset);
                    let last = script.last().map_or(0, |(ts, _)| *ts);
                    let to_end = Duration::from_millis(u64::from(last.saturating_sub(from_ms)));
                    let total =
                        Some(time.map_or(to_end, |t| t.min(to_end))).filter(|d| !d.is_zero());
                    let outputs = match toy.position_outputs() {
                        p if !p.is_empty() => p,
                        _ => toy.intensity_outputs(),
                    };
                    let mut p = program(
                        outputs.into_iter().map(|o| (o, 1.0)).collect(),
                        Shape::Script {
                            actions: script,
                            from_ms,
                        },
                        Timing {
                            total,
                            cycle: None,
                            stop_previous: true,
                        },
                        now,
                    );
                    if total.is_none() {
                        // Nothing left to play.
                        p.0.outputs.clear();
                    }
                    Ok(p)
                })
            }
        }
    }

    fn position_duration(&self, device: u32, now: Instant) -> u32 {
        let previous = self.inner.last_position.lock().insert(device, now);
        match previous {
            Some(t) => (now.saturating_duration_since(t).as_millis() as u32).clamp(50, 1000),
            None => FIRST_POSITION_MS,
        }
    }

    /// A toy's battery level: read from its battery input (cached a minute), 100 without one.
    async fn battery(&self, toy: &Toy) -> i32 {
        let Some(feature) = toy.battery_feature else {
            return 100;
        };
        let cached = self.inner.batteries.lock().get(&toy.index).copied();
        if let Some((level, at)) = cached
            && at.elapsed() < BATTERY_FRESH
        {
            return level;
        }
        let read = ClientMessage::InputCmd(InputCmd {
            command: InputCommandType::Read,
            device_index: toy.index,
            feature_index: feature,
            id: 0,
            input_type: InputType::Battery,
        });
        match self.inner.engine.ask(read, BATTERY_READ_TIMEOUT).await {
            Some(ServerMessage::InputReading(r)) => {
                let level = r.reading.value.clamp(0, 100);
                self.inner
                    .batteries
                    .lock()
                    .insert(toy.index, (level, Instant::now()));
                level
            }
            // Not answered: keep the last level (100 if none) for a while rather than wait
            // on every GetToys.
            _ => {
                let level = cached.map_or(100, |(l, _)| l);
                self.inner
                    .batteries
                    .lock()
                    .insert(toy.index, (level, Instant::now()));
                level
            }
        }
    }

    async fn get_toys(&self, legacy: bool) -> Value {
        let toys = self.toys();
        let mut map = serde_json::Map::new();
        for toy in &toys {
            let battery = self.battery(toy).await;
            let entry = if legacy {
                json!({
                    "id": toy.id,
                    "name": connect_name(&toy.name),
                    "nickName": toy.nick_name,
                    "status": "1",
                    "battery": battery,
                    "version": "",
                    "fVersion": 0,
                })
            } else {
                let (short, full) = toy.functions();
                json!({
                    "id": toy.id,
                    "status": "1",
                    "version": "",
                    "name": toy.name,
                    "battery": battery,
                    "nickName": toy.nick_name,
                    "shortFunctionNames": short,
                    "fullFunctionNames": full,
                })
            };
            map.insert(toy.id.clone(), entry);
        }
        if legacy {
            json!({"code": 200, "type": "ok", "data": map})
        } else {
            json!({
                "code": 200,
                "type": "OK",
                "data": {
                    "toys": Value::Object(map).to_string(),
                    "platform": "pc",
                    "appType": "remote",
                },
            })
        }
    }
}

/// A program with a request's timing, and whether it replaces the toy's earlier ones.
fn program(
    outputs: Vec<(Output, f64)>,
    shape: Shape,
    timing: Timing,
    now: Instant,
) -> (Program, bool) {
    (
        Program {
            outputs,
            shape,
            started: now,
            end: timing.total.map(|d| now + d),
            cycle: timing.cycle,
            duration_ms: 0,
        },
        timing.stop_previous,
    )
}

/// Set an output's level in a list (the later action of a request wins).
fn set_level(outputs: &mut Vec<(Output, f64)>, o: Output, f: f64) {
    match outputs.iter_mut().find(|(x, _)| x.key == o.key) {
        Some(slot) => slot.1 = f,
        None => outputs.push((o, f)),
    }
}

fn dedup(mut outputs: Vec<Output>) -> Vec<Output> {
    let mut seen = Vec::new();
    outputs.retain(|o| {
        let new = !seen.contains(&o.key);
        seen.push(o.key);
        new
    });
    outputs
}

/// The level a toy's latest constant program sets on an output (0 if none).
fn current_fraction(programs: Option<&Vec<Program>>, key: OutputKey) -> f64 {
    programs
        .into_iter()
        .flatten()
        .rev()
        .filter(|p| p.shape == Shape::Constant)
        .find_map(|p| {
            p.outputs
                .iter()
                .find(|(o, _)| o.key == key)
                .map(|(_, f)| *f)
        })
        .unwrap_or(0.0)
}
