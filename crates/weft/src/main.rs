// mimalloc: a request allocates and frees many small buffers from several threads, where
// glibc's allocator spent a tenth of the server's CPU (profile in docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    weft::cli::main()
}
