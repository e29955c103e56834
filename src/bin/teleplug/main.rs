//! The `teleplug` command line: `serve` (the Buttplug WebSocket server), `devices` (scan and
//! list what is found), `demo` (drive a simulated toy through the embedded server),
//! `check-device-config` (what Teleplug can drive of a device database file). Without a
//! command it runs as Intiface Engine does (`intiface.rs`): `teleplug --websocket-port 12345
//! --use-bluetooth-le`, as a launcher starts `intiface-engine`.
//!
//! Exit codes: 0 success (also after a stop request: SIGINT/SIGTERM, or Ctrl+C, Ctrl+Break, the
//! console closing on Windows), 1 runtime failure (e.g. port in use), 2 usage or configuration
//! error. The same on every platform.

mod ask;
mod check_config;
mod demo;
mod devices;
mod intiface;
mod intiface_modes;
mod logging;
mod lovense;
mod options;
mod panel;
mod serve;
mod stop_request;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "teleplug",
    about = "A Buttplug server and toolkit",
    disable_version_flag = true,
    after_help = "Without a command, teleplug serves as Intiface Engine does, with its flags \
        (e.g. `teleplug --websocket-port 12345 --use-bluetooth-le`): the flags of `serve`, but \
        no hardware unless a --use-… flag names it, and no default port."
)]
struct Cli {
    /// Log level or filter (error, warn, info, debug, trace; e.g. "teleplug=debug").
    #[arg(long, global = true, default_value = "warn", value_name = "LEVEL")]
    log: String,
    /// Print the version as Intiface Engine does ("Teleplug Version …, Commit …, Built …").
    #[arg(short = 'V', long)]
    version: bool,
    /// Print the version number alone (Intiface Engine's --server-version).
    #[arg(long)]
    server_version: bool,
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a command: `serve` as Intiface Engine.
    #[command(flatten)]
    engine: Box<serve::ServeArgs>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Buttplug WebSocket server (default ws://127.0.0.1:12345) until SIGINT/SIGTERM
    /// (on Windows: Ctrl+C, Ctrl+Break or closing the console).
    Serve(Box<serve::ServeArgs>),
    /// Scan for devices for a while and list what was found, with protocol and features.
    Devices(devices::DevicesArgs),
    /// Run the embedded server with a simulated Lovense toy, drive it through the client core and
    /// print what the toy receives.
    Demo,
    /// Report which protocols of a device database file Teleplug can drive and which it cannot
    /// (exit 1 when one cannot).
    CheckDeviceConfig(check_config::CheckArgs),
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or configuration (exit code 2).
    Usage(String),
    /// Something failed while running (exit code 1).
    Runtime(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Runtime(message)
    }
}

/// A flag of the Intiface command line (the top level's own, not `--log` or the version flags,
/// which go with every command) given together with a command: the first one, if any.
fn engine_flag_with_command(matches: &ArgMatches) -> Option<String> {
    matches.subcommand_name()?;
    matches
        .ids()
        .map(|id| id.as_str())
        .filter(|id| !matches!(*id, "log" | "version" | "server_version"))
        .find(|id| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|id| id.replace('_', "-"))
}

fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    if let Some(flag) = engine_flag_with_command(&matches) {
        let command = matches.subcommand_name().unwrap_or_default().to_string();
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "the command '{command}' cannot be used with '--{flag}' before it (give \
                     the command's own flags after it)"
                ),
            )
            .exit();
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse();
    if cli.version || cli.server_version {
        match cli.version {
            true => println!("{}", intiface::version_line()),
            false => println!("{}", intiface::server_version()),
        }
        return ExitCode::SUCCESS;
    }
    if cli.command.is_none() && std::env::args_os().len() <= 1 {
        // Nothing asked: the help, as for any missing command.
        eprint!("{}", Cli::command().render_help());
        return ExitCode::from(2);
    }
    if let Err(e) = logging::init(&cli.log) {
        eprintln!("teleplug: {e}");
        return ExitCode::from(2);
    }
    // One thread runs every task: a command crosses the client's socket, the connection task,
    // the device task and the device's socket without a wake-up of another thread (futex and
    // eventfd writes cost more than the work itself; BENCHMARKS.md). Everything that blocks
    // (file writes, serial and HID enumeration, port opening) runs on the blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("teleplug: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve::run(*cli.engine, serve::Mode::Intiface).await,
            Some(Command::Serve(args)) => serve::run(*args, serve::Mode::Serve).await,
            Some(Command::Devices(args)) => devices::run(args).await,
            Some(Command::Demo) => demo::run().await.map_err(Failure::Runtime),
            Some(Command::CheckDeviceConfig(args)) => check_config::run(&args),
        }
    });
    // Do not wait for tasks still blocked (e.g. the stdin reader of --ask).
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("teleplug: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("teleplug: {e}");
            ExitCode::FAILURE
        }
    }
}
