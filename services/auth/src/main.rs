#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::cli::main::<auth::AuthService>().await
}
