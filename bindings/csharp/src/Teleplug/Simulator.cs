using System;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>
    /// Simulated devices of the embedded server (no hardware needed): advertise one, and it is
    /// found by the next scan like real hardware. Devices advertised with <c>observe</c> report
    /// every write, read and subscription as <see cref="Client.SimulatorOperation"/> events.
    /// Not available on remote connections (<see cref="ErrorCode.Unsupported"/>).
    /// </summary>
    public sealed class Simulator
    {
        readonly Client client;

        internal Simulator(Client client) { this.client = client; }

        /// <summary>Advertises a simulated Lovense toy ("LVS-Sim") that answers "DeviceType;" with
        /// <paramref name="typeReply"/> (null: a Hush) and "Battery;" with <paramref name="battery"/>.</summary>
        public Task AdvertiseLovenseAsync(string address, uint battery = 0, string typeReply = null, bool observe = true)
        {
            return client.RequestOk("simulatorAdvertise", LovenseBody(address, battery, typeReply, observe));
        }

        /// <summary>Advertises a simulated BLE device described field by field.</summary>
        public Task AdvertiseAsync(SimulatedDeviceSpec spec, bool observe = true)
        {
            return client.RequestOk("simulatorAdvertise", SpecBody(spec, observe));
        }

        // The bodies of simulatorAdvertise requests (also sent by ButtplugChannel).

        internal static JObject LovenseBody(string address, uint battery, string typeReply, bool observe)
        {
            if (address == null) throw new ArgumentNullException("address");
            var lovense = new JObject { { "address", address } };
            if (!string.IsNullOrEmpty(typeReply)) lovense["typeReply"] = typeReply;
            if (battery != 0) lovense["battery"] = battery;
            return Advertised(new JObject { { "lovense", lovense } }, observe);
        }

        internal static JObject SpecBody(SimulatedDeviceSpec spec, bool observe)
        {
            if (spec == null) throw new ArgumentNullException("spec");
            return Advertised(new JObject { { "spec", spec.ToJson() } }, observe);
        }

        static JObject Advertised(JObject body, bool observe)
        {
            if (observe) body["observe"] = true;
            return body;
        }

        /// <summary>The device notifies <paramref name="data"/> on <paramref name="endpoint"/> (which
        /// the protocol must have subscribed).</summary>
        public Task NotifyAsync(string address, string endpoint, byte[] data)
        {
            return client.RequestOk("simulatorNotify", EndpointData(address, endpoint, data));
        }

        /// <summary>Queues the answer to the next read of <paramref name="endpoint"/>.</summary>
        public Task QueueReadAsync(string address, string endpoint, byte[] data)
        {
            return client.RequestOk("simulatorQueueRead", EndpointData(address, endpoint, data));
        }

        /// <summary>The device disconnects (it is removed from the device list).</summary>
        public Task DisconnectAsync(string address)
        {
            if (address == null) throw new ArgumentNullException("address");
            return client.RequestOk("simulatorDisconnect", new JObject { { "address", address } });
        }

        static JObject EndpointData(string address, string endpoint, byte[] data)
        {
            if (address == null) throw new ArgumentNullException("address");
            if (endpoint == null) throw new ArgumentNullException("endpoint");
            if (data == null) throw new ArgumentNullException("data");
            return new JObject { { "address", address }, { "endpoint", endpoint }, { "data", Json.Base64(data) } };
        }
    }
}
