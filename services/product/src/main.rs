#[tokio::main]
async fn main() -> std::process::ExitCode {
    runtime::cli::main::<product::ProductService>().await
}
