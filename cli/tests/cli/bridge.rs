//! The device bridge (`gridvoice ui`) is for the delegate's own browser tab only: a page of
//! another site open in the same browser, or one reached under a rebinding DNS name, gets
//! nothing from it; the address the bridge printed (with this launch's key) opens it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::BIN;

/// One HTTP/1.1 request on loopback; the status and the whole answer.
fn http(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn status_call(port: u16, host: &str, extra: &str) -> (u16, String) {
    http(
        port,
        &format!(
            "POST /device/status HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: 2\r\n{extra}Connection: close\r\n\r\n{{}}"
        ),
    )
}

/// Kills the bridge when the test ends, failing or not.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn only_the_printed_address_opens_the_bridge_and_other_sites_get_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .arg("--store")
        .arg(dir.path().join("device.sqlite"))
        .args(["ui", "--port", "0", "--dist"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut bridge = Running(child);
    let mut line = String::new();
    BufReader::new(bridge.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "网格民声：请在浏览器打开 http://127.0.0.1:PORT/?key=SECRET"
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    let rest = url.strip_prefix("http://127.0.0.1:").expect(&line);
    let (port, key) = rest.split_once("/?key=").expect(&line);
    let port: u16 = port.parse().unwrap();
    assert_eq!(key.len(), 64, "a 256-bit secret");
    let host = format!("127.0.0.1:{port}");

    // No cookie: refused, in words. A wrong key: refused.
    let (status, body) = status_call(port, &host, "");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("FORBIDDEN"), "{body}");
    let (status, _) = http(
        port,
        &format!("GET /?key=wrong HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 403);

    // The printed address: the key becomes a cookie the browser keeps for this site only.
    let (status, answer) = http(
        port,
        &format!("GET /?key={key} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 303, "{answer}");
    let cookie_line = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a cookie");
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let cookie = format!("Cookie: gv_bridge={key}\r\n");

    // With it, the delegate's own page works.
    let (status, body) = status_call(
        port,
        &host,
        &format!("{cookie}Origin: http://127.0.0.1:{port}\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    // Another site's page in the same browser (the cookie would not even be sent; say it were):
    // refused by its Origin.
    let (status, body) = status_call(
        port,
        &host,
        &format!("{cookie}Origin: https://evil.example\r\n"),
    );
    assert_eq!(status, 403, "{body}");
    // A rebinding name pointing at 127.0.0.1: refused by its Host, key or not.
    let (status, body) = status_call(port, &format!("evil.example:{port}"), &cookie);
    assert_eq!(status, 403, "{body}");
    let (status, _) = http(
        port,
        &format!(
            "GET /?key={key} HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 403);
}
