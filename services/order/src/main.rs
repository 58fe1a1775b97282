#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::cli::main::<order::OrderService>().await
}
