//! `cargo xtask`: project automation. `cargo xtask bench` runs gpm side by side with its
//! peers.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("xtask: nothing implemented yet for {args:?}");
    std::process::exit(2);
}
