#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::cli::main::<user::UserService>().await
}
