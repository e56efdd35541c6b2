//! The `shapelab` program.

fn main() {
    std::process::exit(shapelab::cli::main());
}

// Reading 800,000 rows allocates and frees a string per row on every core; mimalloc's
// per-thread heaps do that markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
