//! The `shapelab` program.

fn main() {
    std::process::exit(shapelab::cli::main());
}
