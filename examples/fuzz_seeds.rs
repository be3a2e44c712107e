//! Writes the fuzz seed corpora: `cargo run --example fuzz_seeds -- CORPUS_DIR OUT_DIR`
//! (what `fuzz/seed.sh` runs). One sub-directory of OUT_DIR per fuzz target.

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (corpus, out) = match args.as_slice() {
        [c, o] => (std::path::PathBuf::from(c), std::path::PathBuf::from(o)),
        _ => {
            eprintln!("usage: fuzz_seeds CORPUS_DIR OUT_DIR");
            std::process::exit(2);
        }
    };
    let mut n = 0;
    for t in wfc::fuzz_targets::TARGETS {
        std::fs::create_dir_all(out.join(t))?;
    }
    for (target, name, bytes) in wfc::fuzz_targets::seeds(&corpus) {
        std::fs::write(out.join(target).join(name), bytes)?;
        n += 1;
    }
    println!("wrote {n} seeds under {}", out.display());
    Ok(())
}
