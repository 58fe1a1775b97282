#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::cli::main::<mailer::MailerService>().await
}
