//! The `wfc` command line: a thin layer over the library.

use clap::Parser;

mod cli;

// Reading and lifting allocate many small strings and vectors; mimalloc makes that
// about a quarter faster than the system allocator (examples/phase_times).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack for the command's thread. Every recursion over input is bounded by a depth limit
/// (`wfc::limits`, the DSL's bracket and expression bounds); this leaves room for those
/// bounds in an unoptimized build too, whose frames are several times larger. Only the
/// pages touched are ever committed.
const STACK_BYTES: usize = 64 << 20;

/// mimalloc's `mi_option_purge_delay` (its v2 header's enum; `libmimalloc-sys` exports no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // mimalloc holds freed pages 10 ms before giving them back; over a batch of files that
    // lets the resident set grow with the batch. Purging at once keeps it flat
    // (tests/convert_stream.rs) at no measured cost in time.
    // SAFETY: sets a plain integer option before any thread of ours starts.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    let cli = cli::Cli::parse();
    let worker = std::thread::Builder::new()
        .name("wfc".into())
        .stack_size(STACK_BYTES)
        .spawn(move || match cli::run(cli) {
            Ok(code) => code,
            // A closed stdout (`wfc convert ... | head`) ends the run quietly.
            Err(e) if is_broken_pipe(&e) => 0,
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        });
    let code = match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        // A panic has already printed its message.
        Ok(Err(_)) => 101,
        Err(e) => {
            eprintln!("error: cannot start the worker thread: {e}");
            2
        }
    };
    std::process::exit(code);
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
