// The client against a running `teleplug serve` (started by test.sh on ephemeral ports), with a
// toy simulated over the server's simulator control endpoint.
using System;
using System.Linq;

namespace Teleplug.Tests
{
    static class RemoteTests
    {
        [Test]
        static void RemoteConnectionDrivesASimulatedToy()
        {
            var url = SimToy.ServerUrl;
            using (var toy = new SimToy(SimToy.ControlUrl, "remote-test", "AA:BB:CC:DD:EE:10", 66))
            using (var c = new Client("C# remote test"))
            {
                var added = new Events<DeviceEventArgs>();
                c.DeviceAdded += added.Handler;
                var info = Support.Await(c.ConnectAsync(url));
                Assert.Equal("Teleplug Server", info.ServerName, "server name");
                Assert.Equal(4u, info.ProtocolVersionMajor, "spec version");
                // Simulated devices of the library belong to an embedded server.
                Assert.RequestError(ErrorCode.Unsupported, () => c.Simulator.AdvertiseLovenseAsync("x"), "simulator on a remote server");
                Support.Await(c.StartScanningAsync());
                var dev = added.WaitFor(e => e.Device.Name == "Lovense Hush").Device;
                Support.Await(c.StopScanningAsync());
                toy.Ops.WaitFor(o => o.StartsWith("Connected"), null, "identified");
                var vib = dev.FeaturesWithOutput(OutputType.Vibrate).First();
                Support.Await(vib.VibrateAsync(0.5));
                toy.WaitWrite("Vibrate:10;");
                Support.Await(vib.RunOutputStepsAsync(OutputType.Vibrate, 4));
                toy.WaitWrite("Vibrate:4;");
                Assert.Equal(66, Support.Await(dev.ReadBatteryAsync()), "battery over the network");
                Assert.RequestError(ErrorCode.Device, () => c.RunOutputStepsAsync(dev.Index + 50, 0, OutputType.Vibrate, 1),
                    "unknown device on the remote server");
                Support.Await(c.DisconnectAsync());
                toy.WaitWrite("Vibrate:0;"); // the server stops devices when its client leaves
                Assert.True(!c.Connected, "disconnected");
            }
        }

        [Test]
        static void DisposingARemoteClientStopsTheToy()
        {
            var url = SimToy.ServerUrl;
            using (var toy = new SimToy(SimToy.ControlUrl, "remote-dispose", "AA:BB:CC:DD:EE:11", 50))
            {
                var c = new Client("C# remote test");
                var added = new Events<DeviceEventArgs>();
                c.DeviceAdded += added.Handler;
                Support.Await(c.ConnectAsync(url));
                Support.Await(c.StartScanningAsync());
                var dev = added.WaitFor(e => e.Device.Name == "Lovense Hush").Device;
                Support.Await(dev.Features[0].VibrateAsync(1.0));
                toy.WaitWrite("Vibrate:20;");
                c.Dispose(); // no disconnect: freeing the client closes the connection
                toy.WaitWrite("Vibrate:0;");
            }
        }
    }
}
