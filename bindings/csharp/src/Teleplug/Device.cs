using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>
    /// A device as the server described it. Devices are addressed by index (docs/FFI.md A4): a
    /// <see cref="Device"/> is a snapshot holding no native resource; its methods send requests
    /// through its <see cref="Client"/>.
    /// </summary>
    public sealed class Device
    {
        internal Device(Client client, JObject o)
        {
            Client = client;
            Index = Json.U32(o, "index");
            Name = Json.Str(o, "name");
            DisplayName = Json.Str(o, "displayName");
            MessageGapMs = Json.U32(o, "messageGapMs");
            Features = Json.Arr(o, "features").OfType<JObject>().Select(f => new Feature(this, f)).ToList().AsReadOnly();
        }

        public Client Client { get; private set; }
        public uint Index { get; private set; }
        public string Name { get; private set; }
        /// <summary>The user's name for the device; empty when none is set.</summary>
        public string DisplayName { get; private set; }
        /// <summary>Minimum time between two commands the device accepts (ms).</summary>
        public uint MessageGapMs { get; private set; }
        public IReadOnlyList<Feature> Features { get; private set; }

        /// <summary>The features that have an output of this type.</summary>
        public IEnumerable<Feature> FeaturesWithOutput(OutputType type)
        {
            return Features.Where(f => f.HasOutput(type));
        }

        /// <summary>The first feature with an input of this type, or null.</summary>
        public Feature FeatureWithInput(InputType type)
        {
            return Features.FirstOrDefault(f => f.HasInput(type));
        }

        /// <summary>Reads the battery level (percent) from the device's battery feature.</summary>
        /// <exception cref="InvalidOperationException">The device has no battery input.</exception>
        public Task<int> ReadBatteryAsync()
        {
            var f = FeatureWithInput(InputType.Battery);
            if (f == null)
                throw new InvalidOperationException("device " + Index + " (" + Name + ") has no battery input");
            return f.ReadAsync(InputType.Battery);
        }

        /// <summary>Stops every output of the device and unsubscribes its inputs.</summary>
        public Task StopAsync()
        {
            return Client.StopAsync(Index, null);
        }

        public override string ToString() { return Index + ": " + Name; }
    }

    /// <summary>One feature of a device: its outputs (vibrate, rotate...) and inputs (battery...).</summary>
    public sealed class Feature
    {
        internal Feature(Device device, JObject o)
        {
            Device = device;
            Index = Json.U32(o, "index");
            Description = Json.Str(o, "description");
            Outputs = Json.Arr(o, "outputs").OfType<JObject>().Select(OutputDescription.Read).ToList().AsReadOnly();
            Inputs = Json.Arr(o, "inputs").OfType<JObject>().Select(InputDescription.Read).ToList().AsReadOnly();
        }

        public Device Device { get; private set; }
        public uint Index { get; private set; }
        public string Description { get; private set; }
        public IReadOnlyList<OutputDescription> Outputs { get; private set; }
        public IReadOnlyList<InputDescription> Inputs { get; private set; }

        public bool HasOutput(OutputType type) { return Outputs.Any(o => o.Type == type); }
        public bool HasInput(InputType type) { return Inputs.Any(i => i.Type == type); }

        /// <summary>Vibrates at <paramref name="fraction"/> (0.0-1.0) of the feature's range.</summary>
        public Task VibrateAsync(double fraction)
        {
            return RunOutputAsync(OutputType.Vibrate, fraction);
        }

        /// <summary>Drives an output at a fraction of its range (0.0-1.0; -1.0-1.0 for Rotate and
        /// Temperature); the library converts it to steps. <paramref name="durationMs"/> is for
        /// HwPositionWithDuration only.</summary>
        public Task RunOutputAsync(OutputType type, double fraction, uint durationMs = 0)
        {
            return Device.Client.RunOutputAsync(Device.Index, Index, type, fraction, durationMs);
        }

        /// <summary>Drives an output with a value in its step range (<see cref="OutputDescription.Value"/>).</summary>
        public Task RunOutputStepsAsync(OutputType type, int steps, uint durationMs = 0)
        {
            return Device.Client.RunOutputStepsAsync(Device.Index, Index, type, steps, durationMs);
        }

        /// <summary>Reads an input once.</summary>
        public Task<int> ReadAsync(InputType type)
        {
            return Device.Client.ReadInputAsync(Device.Index, Index, type);
        }

        /// <summary>Reads the battery level (percent).</summary>
        public Task<int> ReadBatteryAsync()
        {
            return ReadAsync(InputType.Battery);
        }

        /// <summary>Subscribes to an input: readings arrive as <see cref="Client.InputReadingReceived"/> events.</summary>
        public Task SubscribeAsync(InputType type)
        {
            return Device.Client.InputCommandAsync(Device.Index, Index, type, InputCommandType.Subscribe);
        }

        public Task UnsubscribeAsync(InputType type)
        {
            return Device.Client.InputCommandAsync(Device.Index, Index, type, InputCommandType.Unsubscribe);
        }

        /// <summary>Stops this feature's outputs and unsubscribes its inputs.</summary>
        public Task StopAsync()
        {
            return Device.Client.StopAsync(Device.Index, Index);
        }

        public override string ToString()
        {
            var parts = Outputs.Select(o => o.ToString()).Concat(Inputs.Select(i => i.ToString()));
            return "feature " + Index + (Description.Length > 0 ? " (" + Description + ")" : "") + ": " +
                   string.Join(", ", parts);
        }
    }
}
