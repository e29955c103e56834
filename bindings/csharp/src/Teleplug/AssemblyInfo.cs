using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Teleplug")]
[assembly: AssemblyDescription("C# binding of Teleplug, a Buttplug protocol server and client core")]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: InternalsVisibleTo("Teleplug.Tests")]
