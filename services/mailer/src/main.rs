#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::cli::main::<mailer::App>().await
}
