fn main() -> std::process::ExitCode {
    // Like every Unix tool: when the reader of our output goes away (`promoter status | head`),
    // end quietly instead of panicking on the broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    boomi_promoter::cli::main()
}
