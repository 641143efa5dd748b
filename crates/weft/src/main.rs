fn main() -> std::process::ExitCode {
    weft::cli::main()
}
