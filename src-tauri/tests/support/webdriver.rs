//! Just enough of the W3C WebDriver protocol to drive the real app: a virtual display (Xvfb),
//! WebKitGTK's own driver (`WebKitWebDriver`) launching the Tauri binary, and a session with
//! find / click / type / read / run script / screenshot. Plain JSON over HTTP on loopback.
//!
//! Everything started here is killed when the [`Desktop`] is dropped, a failing test included:
//! the driver runs in a process group of its own, and the app it launches belongs to that group.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

pub type Result<T> = std::result::Result<T, String>;

/// The key under which W3C WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for something on screen lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A free X display on this machine, served by Xvfb.
#[derive(Debug)]
struct Display {
    number: u32,
    child: Child,
}

impl Display {
    fn start() -> Result<Display> {
        for number in 90..190 {
            let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            if held(&lock) {
                continue;
            }
            // A lock left by a server that is gone (killed outright) frees the number.
            let _ = std::fs::remove_file(&lock);
            let _ = std::fs::remove_file(&socket);
            let child = Command::new("Xvfb")
                .arg(format!(":{number}"))
                .args([
                    "-screen",
                    "0",
                    "1024x1200x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("Xvfb could not start ({e}); install the xvfb package"))?;
            let mut display = Display { number, child };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if socket.exists() {
                    return Ok(display);
                }
                if let Ok(Some(_)) = display.child.try_wait() {
                    break; // another server took the number first: try the next one
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = display.child.kill();
            let _ = display.child.wait();
        }
        Err("no free X display between :90 and :189".into())
    }
}

/// Whether an X lock file names a live process.
fn held(lock: &Path) -> bool {
    std::fs::read_to_string(lock)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .is_some_and(|pid| PathBuf::from(format!("/proc/{pid}")).exists())
}

impl Drop for Display {
    fn drop(&mut self) {
        // Asked to stop, Xvfb removes its lock and socket; killed outright, it leaves them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(format!("/tmp/.X{}-lock", self.number));
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{}", self.number));
    }
}

/// A free TCP port on loopback (bound, then released for the driver to take).
fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Xvfb, WebKitWebDriver and one session with the app in it.
#[derive(Debug)]
pub struct Desktop {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _display: Display,
}

impl Desktop {
    /// Starts a display and the driver, and opens the app `binary` with `env` set.
    pub async fn launch(binary: &Path, env: &[(&str, &str)]) -> Result<Desktop> {
        Desktop::launch_with_args(binary, &[], env).await
    }

    /// [`Desktop::launch`] with command-line arguments for the binary.
    pub async fn launch_with_args(
        binary: &Path,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Result<Desktop> {
        let display = Display::start()?;
        let port = free_port()?;
        let mut cmd = Command::new("WebKitWebDriver");
        cmd.arg(format!("--port={port}"))
            .env("DISPLAY", format!(":{}", display.number))
            // Without it, WebKitGTK in the app refuses to be automated and the session hangs.
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            // No GPU under Xvfb.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let driver = cmd.spawn().map_err(|e| {
            format!("WebKitWebDriver could not start ({e}); install the webkit2gtk-driver package")
        })?;
        // reqwest is built without a TLS provider in this workspace (see gridvoice-sync).
        gridvoice_sync::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let mut desktop = Desktop {
            http,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            driver,
            _display: display,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = desktop
                .http
                .get(format!("{}/status", desktop.base))
                .send()
                .await
                .is_ok();
            if ready {
                break;
            }
            if Instant::now() > deadline {
                return Err("WebKitWebDriver did not answer within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary, "args": args }
        } } });
        let v = desktop.raw("POST", "/session", Some(caps)).await?;
        desktop.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {v}"))?
            .to_owned();
        Ok(desktop)
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let v: Value = resp
            .json()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if let Some(err) = value.get("error").and_then(Value::as_str) {
            let msg = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(format!("{method} {path}: {err}: {msg}"));
        }
        Ok(value)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.raw(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    /// Loads `url` in the window.
    pub async fn navigate(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its value.
    pub async fn run(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    async fn find_now(&self, css: &str) -> Result<Option<String>> {
        let v = self
            .call(
                "POST",
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await?;
        Ok(v.as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT].as_str())
            .map(str::to_owned))
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.find_now(css).await? {
                return Ok(e);
            }
            if Instant::now() > deadline {
                return Err(format!("nothing matched {css} within {WAIT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether `css` matches anything right now.
    pub async fn present(&self, css: &str) -> Result<bool> {
        Ok(self.find_now(css).await?.is_some())
    }

    /// Waits until the script returns something truthy, and returns it.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Result<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.run(script, args.clone()).await?;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("{what}: still not true after {WAIT:?} (last {v})"));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// A real click (the driver moves the pointer onto the element and presses).
    ///
    /// The element is first scrolled to the middle of the window, as a person scrolls what they
    /// want to tap into comfortable view: the driver's own scrolling stops at the window's edge,
    /// where a bar fixed to the bottom (the form's save bar) would take the tap.
    pub async fn click(&self, css: &str) -> Result<()> {
        let e = self.find(css).await?;
        self.run(
            "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });",
            json!([{ ELEMENT: e }]),
        )
        .await?;
        self.call("POST", &format!("/element/{e}/click"), None)
            .await
            .map(drop)
    }

    /// Types `text` into the field, as keystrokes.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let e = self.find(css).await?;
        self.call("POST", &format!("/element/{e}/clear"), None)
            .await?;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await
        .map(drop)
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        let e = self.find(css).await?;
        let v = self
            .call("GET", &format!("/element/{e}/text"), None)
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        let e = self.find(css).await?;
        let v = self
            .call("GET", &format!("/element/{e}/attribute/{name}"), None)
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Saves a PNG of the window to `path`.
    ///
    /// WebKitGTK 2.50 under Xvfb (no compositing) takes the snapshot at its next rendering
    /// update, and a page that is quiet may not have one for a long time: the screenshot then
    /// hangs. While it is taken, the page is kept painting (a 1-pixel mark that flickers, out of
    /// the way of the layout).
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        self.run(
            "let m = document.getElementById('wd-paint');\
             if (!m) { m = document.createElement('div'); m.id = 'wd-paint';\
               m.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;z-index:-1';\
               document.body.appendChild(m); }\
             clearInterval(window.__wdPaint);\
             window.__wdPaint = setInterval(() => { m.style.opacity = m.style.opacity === '0.01' ? '0.02' : '0.01'; }, 50);",
            json!([]),
        )
        .await?;
        let taken = self.call("GET", "/screenshot", None).await;
        self.run(
            "clearInterval(window.__wdPaint); document.getElementById('wd-paint')?.remove();",
            json!([]),
        )
        .await?;
        let v = taken?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Closes the app and the session; the driver and display stop on drop.
    pub async fn quit(mut self) -> Result<()> {
        self.close().await
    }

    /// Closes the app (ends the session) and leaves the driver to be dropped.
    pub async fn close(&mut self) -> Result<()> {
        let out = self.call("DELETE", "", None).await.map(drop);
        self.session.clear();
        out
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The driver and the app it launched share the driver's process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
