fn main() -> std::process::ExitCode {
    boomi_promoter::cli::main()
}
