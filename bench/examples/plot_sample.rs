//! Writes the benchmark charts for made-up results into the directory given as the only
//! argument, to look at them without running a comparison:
//! `cargo run -p hearsay-bench --example plot_sample -- /tmp/plots`.

use std::path::PathBuf;

use hearsay_bench::plots::{sample::sample_results, write_plots};

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: plot_sample DIR");
        std::process::exit(2);
    };
    match write_plots(&sample_results(), &dir) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
        }
        Err(e) => {
            eprintln!("plot_sample: {e}");
            std::process::exit(1);
        }
    }
}
