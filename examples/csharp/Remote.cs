// Teleplug from C#: connect to a running Buttplug server (`teleplug serve`, Intiface).
//
//   teleplug serve --simulator-port 12347     # plus a device (real, or simulated over the
//                                             # simulator control endpoint)
//   mono remote.exe ws://127.0.0.1:12345
//
// Scans until a device is found, lists its features, vibrates it at 50%, reads its battery when
// it has one, stops it and disconnects.
using System;
using System.Linq;
using System.Threading.Tasks;
using Teleplug;

static class RemoteExample
{
    static int Main(string[] args)
    {
        string url = args.Length > 0 ? args[0] : "ws://127.0.0.1:12345";
        try
        {
            Run(url).GetAwaiter().GetResult();
            return 0;
        }
        catch (TeleplugException e)
        {
            Console.Error.WriteLine("failed (code " + e.Code + "): " + e.Message);
            return 1;
        }
        catch (TimeoutException e)
        {
            Console.Error.WriteLine("failed: " + e.Message);
            return 1;
        }
    }

    static async Task Run(string url)
    {
        using (var client = new Client("C# remote example"))
        {
            var found = new TaskCompletionSource<Device>();
            client.DeviceAdded += (s, e) => found.TrySetResult(e.Device);
            client.ServerDisconnected += (s, e) => Console.WriteLine("server disconnected: " + e.Reason);

            var server = await client.ConnectAsync(url);
            Console.WriteLine("connected to " + server.ServerName + " (spec v" + server.ProtocolVersionMajor + ")");
            // Devices the server already had are listed at once; otherwise scan for one.
            var device = client.Devices.FirstOrDefault();
            if (device == null)
            {
                await client.StartScanningAsync();
                var done = await Task.WhenAny(found.Task, Task.Delay(TimeSpan.FromSeconds(10)));
                if (done != found.Task) throw new TimeoutException("no device found within 10 s");
                device = found.Task.Result;
                await client.StopScanningAsync();
            }
            Console.WriteLine("found device " + device.Index + ": " + device.Name);
            foreach (var feature in device.Features) Console.WriteLine("  " + feature);

            var vibrator = device.FeaturesWithOutput(OutputType.Vibrate).FirstOrDefault();
            if (vibrator != null)
            {
                Console.WriteLine("vibrate at 50%");
                await vibrator.VibrateAsync(0.5);
            }
            if (device.FeatureWithInput(InputType.Battery) != null)
                Console.WriteLine("battery: " + await device.ReadBatteryAsync() + "%");
            Console.WriteLine("stop");
            await device.StopAsync();
            await client.DisconnectAsync();
        }
        Console.WriteLine("done");
    }
}
