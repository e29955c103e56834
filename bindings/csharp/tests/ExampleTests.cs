// The examples in examples/csharp, run as programs (built by test.sh into TELEPLUG_EXAMPLES):
// their output, and for the remote one what the simulated toy received.
using System;
using System.Diagnostics;
using System.IO;

namespace Teleplug.Tests
{
    static class ExampleTests
    {
        static string Example(string name)
        {
            var dir = Environment.GetEnvironmentVariable("TELEPLUG_EXAMPLES");
            if (string.IsNullOrEmpty(dir)) throw new SkipException("TELEPLUG_EXAMPLES is not set");
            var path = Path.Combine(dir, name);
            Assert.True(File.Exists(path), path + " was built");
            return path;
        }

        static string Run(string exe, string args)
        {
            using (var p = Process.Start(Support.Mono(exe, args)))
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(60000))
                {
                    p.Kill();
                    throw new TimeoutException(exe + " did not finish within 60 s");
                }
                p.WaitForExit();
                Console.WriteLine("---- " + Path.GetFileName(exe) + " " + args + "\n" + stdout.Result.TrimEnd() + "\n----");
                Assert.Equal(0, p.ExitCode, Path.GetFileName(exe) + " exit code (stderr: " + stderr.Result + ")");
                return stdout.Result;
            }
        }

        static void Contains(string output, string line)
        {
            Assert.True(("\n" + output.Replace("\r", "")).Contains("\n" + line + "\n"), "output has the line \"" + line + "\"");
        }

        [Test]
        static void EmbeddedExample()
        {
            var output = Run(Example("embedded.exe"), "");
            Contains(output, "connected to C# example");
            Contains(output, "found device 0: Lovense Hush");
            Contains(output, "  feature 0: Vibrate [0, 20]");
            Contains(output, "toy received: DeviceType;");
            Contains(output, "toy received: Vibrate:10;");
            Contains(output, "battery: 87%");
            Contains(output, "toy received: Vibrate:0;");
            Contains(output, "done");
        }

        [Test]
        static void RemoteExample()
        {
            var exe = Example("remote.exe");
            using (var toy = new SimToy(SimToy.ControlUrl, "example-toy", "AA:BB:CC:DD:EE:20", 42))
            {
                var output = Run(exe, SimToy.ServerUrl);
                Contains(output, "connected to Teleplug Server (spec v4)");
                Assert.True(output.Contains(": Lovense Hush\n"), "found the toy");
                Contains(output, "vibrate at 50%");
                Contains(output, "battery: 42%");
                Contains(output, "done");
                toy.WaitWrite("Vibrate:10;");
                toy.Ops.WaitFor(o => o == "Write tx Battery;", null, "battery read");
                toy.WaitWrite("Vibrate:0;");
            }
        }
    }
}
