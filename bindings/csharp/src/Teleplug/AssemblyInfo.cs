// The assembly version is Cargo.toml's: Teleplug.csproj reads it from there, and
// scripts/package.sh compiles a generated AssemblyVersion.g.cs beside these files (NuGet, Unity).
using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Teleplug")]
[assembly: AssemblyDescription("C# binding of Teleplug, a Buttplug protocol server and client core")]
[assembly: InternalsVisibleTo("Teleplug.Tests")]
