//! Device and feature views of the client's device list, with convenience commands.

use super::{Client, ClientError};
use crate::wire::{DeviceEntry, DeviceFeature, InputType, OutputCommand, OutputType};

/// A device as the client knows it (a snapshot of its DeviceList entry).
#[derive(Clone, Debug)]
pub struct Device {
    client: Client,
    entry: DeviceEntry,
}

/// One feature of a device.
#[derive(Clone, Debug)]
pub struct Feature {
    client: Client,
    device: u32,
    feature: DeviceFeature,
}

impl Device {
    pub(super) fn new(client: Client, entry: DeviceEntry) -> Device {
        Device { client, entry }
    }

    pub fn index(&self) -> u32 {
        self.entry.device_index
    }

    pub fn name(&self) -> &str {
        &self.entry.device_name
    }

    pub fn display_name(&self) -> Option<&str> {
        self.entry.device_display_name.as_deref()
    }

    pub fn message_gap_ms(&self) -> u32 {
        self.entry.device_message_timing_gap
    }

    /// The DeviceList entry.
    pub fn entry(&self) -> &DeviceEntry {
        &self.entry
    }

    pub fn features(&self) -> Vec<Feature> {
        self.entry
            .device_features
            .values()
            .map(|f| Feature {
                client: self.client.clone(),
                device: self.entry.device_index,
                feature: f.clone(),
            })
            .collect()
    }

    pub fn feature(&self, index: u32) -> Option<Feature> {
        self.features().into_iter().find(|f| f.index() == index)
    }

    /// Features with an output of this type.
    pub fn features_with_output(&self, output: OutputType) -> Vec<Feature> {
        self.features()
            .into_iter()
            .filter(|f| f.has_output(output))
            .collect()
    }

    /// Set every vibrator to a 0.0–1.0 fraction, as one message.
    pub async fn vibrate(&self, fraction: f64) -> Result<(), ClientError> {
        self.run_output_all(OutputType::Vibrate, fraction).await
    }

    /// Set every output of `output` type to a fraction, as one message.
    pub async fn run_output_all(
        &self,
        output: OutputType,
        fraction: f64,
    ) -> Result<(), ClientError> {
        let mut cmds = Vec::new();
        for f in self.features_with_output(output) {
            let c = self
                .client
                .fraction_command(self.index(), f.index(), output, fraction, 0)?;
            cmds.push((self.index(), f.index(), c));
        }
        if cmds.is_empty() {
            return Err(ClientError::InvalidArgument(format!(
                "{} has no {output} output",
                self.name()
            )));
        }
        self.client.outputs(&cmds).await
    }

    /// Read the battery level (percent) from the first feature with a battery input.
    pub async fn battery(&self) -> Result<i32, ClientError> {
        let f = self
            .features()
            .into_iter()
            .find(|f| f.has_input(InputType::Battery))
            .ok_or_else(|| {
                ClientError::InvalidArgument(format!("{} has no battery", self.name()))
            })?;
        f.read(InputType::Battery).await
    }

    /// Stop every output and subscription of this device.
    pub async fn stop(&self) -> Result<(), ClientError> {
        self.client.stop(Some(self.index()), None, true, true).await
    }
}

impl Feature {
    pub fn index(&self) -> u32 {
        self.feature.feature_index
    }

    pub fn description(&self) -> &str {
        &self.feature.feature_description
    }

    pub fn device_index(&self) -> u32 {
        self.device
    }

    /// The DeviceList feature description.
    pub fn raw(&self) -> &DeviceFeature {
        &self.feature
    }

    pub fn has_output(&self, output: OutputType) -> bool {
        self.feature
            .output
            .as_ref()
            .is_some_and(|o| o.contains_key(&output))
    }

    pub fn has_input(&self, input: InputType) -> bool {
        self.feature
            .input
            .as_ref()
            .is_some_and(|i| i.contains_key(&input))
    }

    /// The advertised step range of an output.
    pub fn output_range(&self, output: OutputType) -> Option<[i32; 2]> {
        self.feature
            .output
            .as_ref()
            .and_then(|o| o.get(&output))
            .map(|p| p.value)
    }

    /// Drive an output in steps.
    pub async fn run_output(&self, command: OutputCommand) -> Result<(), ClientError> {
        self.client.output(self.device, self.index(), command).await
    }

    /// Drive an output with a fraction.
    pub async fn run_output_fraction(
        &self,
        output: OutputType,
        fraction: f64,
        duration_ms: u32,
    ) -> Result<(), ClientError> {
        self.client
            .output_fraction(self.device, self.index(), output, fraction, duration_ms)
            .await
    }

    /// Vibrate at a 0.0–1.0 fraction.
    pub async fn vibrate(&self, fraction: f64) -> Result<(), ClientError> {
        self.run_output_fraction(OutputType::Vibrate, fraction, 0)
            .await
    }

    /// Read an input value.
    pub async fn read(&self, input: InputType) -> Result<i32, ClientError> {
        Ok(self
            .client
            .read_input(self.device, self.index(), input)
            .await?
            .value)
    }

    pub async fn subscribe(&self, input: InputType) -> Result<(), ClientError> {
        self.client
            .subscribe_input(self.device, self.index(), input)
            .await
    }

    pub async fn unsubscribe(&self, input: InputType) -> Result<(), ClientError> {
        self.client
            .unsubscribe_input(self.device, self.index(), input)
            .await
    }

    /// Stop this feature.
    pub async fn stop(&self) -> Result<(), ClientError> {
        self.client
            .stop(Some(self.device), Some(self.index()), true, true)
            .await
    }
}
