// A small test runner (no test framework is packaged for Mono here): runs every static method
// marked [Test] in declaration order, each on its own thread with a time limit, and ends with
// the line "N passed, N failed, N skipped". Arguments: substrings of test names to run.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace Teleplug.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    sealed class TestAttribute : Attribute
    {
        /// <summary>Time limit in seconds.</summary>
        public int Timeout = 60;
    }

    sealed class SkipException : Exception
    {
        public SkipException(string why) : base(why) { }
    }

    static class Runner
    {
        static int Main(string[] args)
        {
            if (args.Length == 1 && args[0] == "--exit-without-dispose") return LifetimeTests.ExitWithoutDispose();
            bool requireAll = Environment.GetEnvironmentVariable("TELEPLUG_REQUIRE_ALL") == "1";
            RoundTripTests.Install();
            var tests = typeof(Runner).Assembly.GetTypes()
                .Where(t => t.Namespace == "Teleplug.Tests")
                .OrderBy(t => Order(t.Name)).ThenBy(t => t.Name)
                .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                    .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                    .OrderBy(m => m.MetadataToken))
                .Where(m => args.Length == 0 || args.Any(a => (m.DeclaringType.Name + "." + m.Name).Contains(a)))
                .ToList();
            int passed = 0, failed = 0, skipped = 0;
            var total = Stopwatch.StartNew();
            foreach (var m in tests)
            {
                string name = m.DeclaringType.Name + "." + m.Name;
                var limit = ((TestAttribute)m.GetCustomAttributes(typeof(TestAttribute), false)[0]).Timeout;
                Exception error = null;
                var sw = Stopwatch.StartNew();
                var thread = new Thread(() =>
                {
                    try
                    {
                        m.Invoke(null, null);
                    }
                    catch (TargetInvocationException e)
                    {
                        error = e.InnerException;
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }
                }) { IsBackground = true, Name = name };
                thread.Start();
                if (!thread.Join(TimeSpan.FromSeconds(limit)))
                    error = new TimeoutException("test did not finish within " + limit + " s");
                sw.Stop();
                if (error is SkipException && !requireAll)
                {
                    skipped++;
                    Console.WriteLine("SKIP {0}: {1}", name, error.Message);
                }
                else if (error != null)
                {
                    failed++;
                    Console.WriteLine("FAIL {0} ({1} ms): {2}", name, sw.ElapsedMilliseconds, error);
                }
                else
                {
                    passed++;
                    Console.WriteLine("PASS {0} ({1} ms)", name, sw.ElapsedMilliseconds);
                }
            }
            Console.WriteLine("C# tests ran in {0:0.0} s", total.Elapsed.TotalSeconds);
            Console.WriteLine("{0} passed, {1} failed, {2} skipped", passed, failed, skipped);
            // Hung test threads are background threads: they do not keep the process alive.
            return failed == 0 && tests.Count > 0 ? 0 : 1;
        }

        static int Order(string cls)
        {
            string[] order = { "AbiTests", "ClientTests", "ChannelTests", "DeliveryTests", "LifetimeTests", "RemoteTests", "ExampleTests", "RoundTripTests" };
            int i = Array.IndexOf(order, cls);
            return i < 0 ? order.Length : i;
        }
    }
}
