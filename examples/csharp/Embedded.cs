// Teleplug from C#: the embedded server with a simulated toy.
//
// Connects to the embedded server (hardware transports off: simulated devices only), advertises
// a simulated Lovense toy, scans until it is found, lists its features, vibrates it, reads its
// battery and stops it. Every byte the toy receives is printed ("toy received: ...").
//
// Build and run (from the repository root, after `cargo build`):
//   mcs -out:embedded.exe -r:bindings/csharp/build/Teleplug.dll \
//       -r:/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll examples/csharp/Embedded.cs
//   LD_LIBRARY_PATH=target/debug MONO_PATH=bindings/csharp/build:/usr/lib/cli/Newtonsoft.Json-5.0 mono embedded.exe
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Teleplug;

static class EmbeddedExample
{
    static int Main()
    {
        try
        {
            Run().GetAwaiter().GetResult();
            return 0;
        }
        catch (TeleplugException e)
        {
            Console.Error.WriteLine("failed (code " + e.Code + "): " + e.Message);
            return 1;
        }
    }

    static async Task Run()
    {
        Console.WriteLine("teleplug " + TeleplugContext.LibraryVersion);
        using (var client = new Client("C# example"))
        {
            // What the simulated toy receives, printed as it happens.
            var toy = new ToyWrites();
            client.SimulatorOperation += (s, e) => toy.Add(e.Operation);
            var found = new TaskCompletionSource<Device>();
            client.DeviceAdded += (s, e) => found.TrySetResult(e.Device);

            var server = await client.ConnectAsync(new EmbeddedOptions
            {
                ServerName = "C# example",
                DisabledTransports = Transports.All,
            });
            Console.WriteLine("connected to " + server.ServerName);

            await client.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66", battery: 87);
            await client.StartScanningAsync();
            var device = await Within(found.Task, "a device");
            await client.StopScanningAsync();
            Console.WriteLine("found device " + device.Index + ": " + device.Name);
            foreach (var feature in device.Features) Console.WriteLine("  " + feature);

            Console.WriteLine("vibrate at 50%");
            await device.FeaturesWithOutput(OutputType.Vibrate).First().VibrateAsync(0.5);
            await toy.WaitFor("Vibrate:10;");

            Console.WriteLine("battery: " + await device.ReadBatteryAsync() + "%");

            Console.WriteLine("stop");
            await device.StopAsync();
            await toy.WaitFor("Vibrate:0;");
            await client.DisconnectAsync();
        }
        Console.WriteLine("done");
    }

    static async Task<T> Within<T>(Task<T> task, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10))) != task)
            throw new TimeoutException("no " + what + " within 10 s");
        return await task;
    }

    /// <summary>The writes of an observed simulated device, with a way to wait for one.</summary>
    sealed class ToyWrites
    {
        readonly object gate = new object();
        readonly List<string> seen = new List<string>();
        readonly List<KeyValuePair<string, TaskCompletionSource<bool>>> waiting =
            new List<KeyValuePair<string, TaskCompletionSource<bool>>>();

        public void Add(SimulatorOperation op)
        {
            if (op.Kind != SimulatorOpKind.Write) return;
            Console.WriteLine("toy received: " + op.Text);
            lock (gate)
            {
                seen.Add(op.Text);
                foreach (var w in waiting.Where(w => w.Key == op.Text)) w.Value.TrySetResult(true);
            }
        }

        public Task WaitFor(string text)
        {
            var tcs = new TaskCompletionSource<bool>();
            lock (gate)
            {
                if (seen.Contains(text)) return Task.FromResult(true);
                waiting.Add(new KeyValuePair<string, TaskCompletionSource<bool>>(text, tcs));
            }
            return Within(tcs.Task, "\"" + text + "\" written to the toy");
        }
    }
}
