//! hello-mcp: one `greet` tool, served over streamable HTTP.
//!
//! Build it for AWS Lambda / pmcp.run with cargo-lambda:
//!     cargo lambda build --release --arm64
//! and deploy it with pmcp-deploy-action (see ../../README.md).

use async_trait::async_trait;
use pmcp::{RequestHandlerExtra, Result, Server, ToolHandler};
use serde_json::{json, Value};

struct Greet;

#[async_trait]
impl ToolHandler for Greet {
    async fn handle(&self, args: Value, _extra: RequestHandlerExtra) -> Result<Value> {
        let name = args.get("name").and_then(Value::as_str).unwrap_or("world");
        let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
        Ok(json!({ "content": [{ "type": "text", "text": format!("{greeting}, {name}!") }] }))
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let server = Server::builder()
        .name("hello-mcp")
        .version(env!("CARGO_PKG_VERSION"))
        .tool("greet", Greet)
        .build()?;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    server.run_streamable_http(([0, 0, 0, 0], port).into()).await
}
