//! The requests that drive the client core: scanning, the device list, outputs (steps, or a
//! fraction of the feature's range), inputs, stops and pings. Each takes the session's client
//! and the request's body and returns its reply future.

use futures::FutureExt;

use super::convert;
use super::reply::{self, ReplyFuture, err, ready};
use super::schema::{self as s, ErrorCode, response};
use crate::client::Client;
use crate::wire::{InputCommandType, OutputCommand};

pub fn start_scanning(c: &Client) -> ReplyFuture {
    let c = c.clone();
    async move { reply::from_client(c.start_scanning().await) }.boxed()
}

pub fn stop_scanning(c: &Client) -> ReplyFuture {
    let c = c.clone();
    async move { reply::from_client(c.stop_scanning().await) }.boxed()
}

pub fn ping(c: &Client) -> ReplyFuture {
    let c = c.clone();
    async move { reply::from_client(c.ping().await) }.boxed()
}

pub fn device_list(c: &Client) -> ReplyFuture {
    let c = c.clone();
    async move {
        match c.request_device_list().await {
            Ok(list) => Ok(response::Body::DeviceList(s::DeviceList {
                devices: list.iter().map(convert::device).collect(),
            })),
            Err(e) => Err(convert::client_error(&e)),
        }
    }
    .boxed()
}

pub fn output(c: &Client, o: s::OutputCommand) -> ReplyFuture {
    let Some(t) = convert::output_type(o.r#type) else {
        return ready(err(
            ErrorCode::InvalidArgument,
            format!("output: unknown output type {}", o.r#type),
        ));
    };
    let cmd = match o.value {
        Some(s::output_command::Value::Steps(v)) => OutputCommand::new(t, v, o.duration_ms),
        Some(s::output_command::Value::Fraction(f)) => {
            match c.fraction_command(o.device_index, o.feature_index, t, f, o.duration_ms) {
                Ok(cmd) => cmd,
                Err(e) => return ready(Err(convert::client_error(&e))),
            }
        }
        None => {
            return ready(err(
                ErrorCode::InvalidArgument,
                "output: set `steps` or `fraction`",
            ));
        }
    };
    let c = c.clone();
    async move { reply::from_client(c.output(o.device_index, o.feature_index, cmd).await) }.boxed()
}

pub fn input(c: &Client, i: s::InputCommand) -> ReplyFuture {
    let (Some(t), Some(cmd)) = (
        convert::input_type(i.r#type),
        convert::input_command(i.command),
    ) else {
        return ready(err(
            ErrorCode::InvalidArgument,
            "input: set a known `type` and `command`",
        ));
    };
    let (d, f) = (i.device_index, i.feature_index);
    let c = c.clone();
    async move {
        match cmd {
            InputCommandType::Read => match c.read_input(d, f, t).await {
                Ok(data) => Ok(response::Body::InputReading(s::InputReading {
                    device_index: d,
                    feature_index: f,
                    r#type: convert::input_type_to(data.input_type) as i32,
                    value: data.value,
                })),
                Err(e) => Err(convert::client_error(&e)),
            },
            InputCommandType::Subscribe => reply::from_client(c.subscribe_input(d, f, t).await),
            InputCommandType::Unsubscribe => reply::from_client(c.unsubscribe_input(d, f, t).await),
        }
    }
    .boxed()
}

pub fn stop(c: &Client, st: s::StopCommand) -> ReplyFuture {
    if st.device_index.is_none() && st.feature_index.is_some() {
        return ready(err(
            ErrorCode::InvalidArgument,
            "stop: a feature index needs a device index",
        ));
    }
    let c = c.clone();
    async move {
        reply::from_client(
            c.stop(
                st.device_index,
                st.feature_index,
                st.inputs.unwrap_or(true),
                st.outputs.unwrap_or(true),
            )
            .await,
        )
    }
    .boxed()
}
