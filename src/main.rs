//! The `wfc` command line: a thin layer over the library.

use clap::Parser;

mod cli;

// Reading and lifting allocate many small strings and vectors; mimalloc makes that
// about a quarter faster than the system allocator (examples/phase_times).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
