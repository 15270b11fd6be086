//! A std-only stand-in for a Rust MCP server (no crates): streamable HTTP on $HOST:$PORT
//! (0.0.0.0:8080 unless set), answering `initialize`, `tools/list` and `tools/call` with JSON,
//! notifications with 202. Its tool `env_is_set` says whether an environment variable is
//! set, never its value (a platform's secrets reach the server as variables).
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{}\"", name);
    let start = body.find(&key)? + key.len();
    let rest = body[start..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(quoted) = rest.strip_prefix('"') {
        return quoted.find('"').map(|end| &quoted[..end]);
    }
    let end = rest.find(|c: char| c == ',' || c == '}').unwrap_or(rest.len());
    Some(rest[..end].trim())
}

fn raw_id(body: &str) -> Option<String> {
    let start = body.find("\"id\"")? + 4;
    let rest = body[start..].trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with('"') {
        let end = rest[1..].find('"')? + 2;
        return Some(rest[..end].to_string());
    }
    let end = rest.find(|c: char| c == ',' || c == '}').unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

fn answer(stream: &mut TcpStream, status: &str, body: &str) {
    let reply = format!(
        "HTTP/1.1 {}\r\nContent-Type: application/json\r\nMcp-Session-Id: standin-1\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        status,
        body.len(),
        body
    );
    let _ = stream.write_all(reply.as_bytes());
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let post = line.starts_with("POST ");
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).to_string();
    if !post {
        answer(&mut stream, "405 Method Not Allowed", "{}");
        return;
    }
    let method = field(&body, "method").unwrap_or("");
    let id = match raw_id(&body) {
        Some(id) => id,
        None => return answer(&mut stream, "202 Accepted", ""),
    };
    let result = match method {
        "initialize" => {
            let version = field(&body, "protocolVersion").unwrap_or("2025-06-18");
            format!(
                "{{\"protocolVersion\":\"{}\",\"capabilities\":{{\"tools\":{{}}}},\
                 \"serverInfo\":{{\"name\":\"rust-standin\",\"version\":\"0.1.0\"}}}}",
                version
            )
        }
        "tools/list" => "{\"tools\":[{\"name\":\"greet\",\"description\":\"Say hello\",\
                         \"inputSchema\":{\"type\":\"object\"}},\
                         {\"name\":\"env_is_set\",\"description\":\"Whether an environment \
                         variable is set (never its value)\",\"inputSchema\":{\"type\":\"object\",\
                         \"properties\":{\"variable\":{\"type\":\"string\"}},\
                         \"required\":[\"variable\"]}}]}"
            .to_string(),
        "tools/call" if field(&body, "name") == Some("env_is_set") => {
            let variable = field(&body, "variable").unwrap_or("");
            let valid = !variable.is_empty()
                && variable.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let text = if !valid {
                "variable must be letters, digits and _".to_string()
            } else if std::env::var_os(variable).map_or(false, |value| !value.is_empty()) {
                format!("{} is set", variable)
            } else {
                format!("{} is not set", variable)
            };
            format!(
                "{{\"content\":[{{\"type\":\"text\",\"text\":\"{}\"}}],\"isError\":{}}}",
                text, !valid
            )
        }
        _ => {
            let error = format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{},\"error\":{{\"code\":-32601,\"message\":\"unknown\"}}}}",
                id
            );
            return answer(&mut stream, "200 OK", &error);
        }
    };
    let reply = format!("{{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":{}}}", id, result);
    answer(&mut stream, "200 OK", &reply);
}

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    // All interfaces in a container; HOST (e.g. 127.0.0.1) narrows it for a test on the host.
    let host = std::env::var("HOST").unwrap_or_else(|_| "0.0.0.0".to_string());
    let listener = TcpListener::bind(format!("{}:{}", host, port)).expect("bind");
    eprintln!("rust-standin listening on {}", port);
    for stream in listener.incoming().flatten() {
        thread::spawn(move || serve(stream));
    }
}
