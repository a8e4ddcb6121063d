//! Driving headless Chromium over the DevTools protocol for the calculator pages' tests: a
//! browser, a page (navigate, evaluate, click, type, screenshot, the requests it made), and the
//! comparisons and form filling the tests share.
//!
//! Where no Chromium is installed the tests are skipped with a note, except in CI (`CI` set),
//! where a missing browser fails them: `.ci/run` installs Debian's `chromium`.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// One browser at a time: the machine is small.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_prognosis")
}

pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROGNOSIS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// a small DevTools-protocol client

pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events received while waiting for replies: (session, method, params).
    events: Vec<(String, String, Value)>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts headless Chromium; None (skip) when there is none, outside CI.
    pub fn launch() -> Option<Browser> {
        let Some(exe) = find_chromium() else {
            if std::env::var_os("CI").is_some() {
                panic!("no Chromium found in CI: .ci/run installs it (apt-get install chromium)");
            }
            eprintln!("no Chromium found (set PROGNOSIS_CHROMIUM): browser tests skipped");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-port=0",
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(k) = line.find("ws://") {
                        let _ = tx.send(line[k..].trim().to_string());
                        sent = true;
                    }
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("Chromium did not report its DevTools address");
        let (ws, _) = tungstenite::connect(url.as_str()).expect("DevTools connection");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        Some(Browser {
            child,
            ws,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        })
    }

    pub fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("DevTools message") {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(_) => panic!("the browser closed the connection"),
                _ => continue,
            }
        }
    }

    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .expect("DevTools send");
        loop {
            let v = self.read();
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
            if let Some(m) = v["method"].as_str() {
                self.events.push((
                    v["sessionId"].as_str().unwrap_or("").to_string(),
                    m.to_string(),
                    v["params"].clone(),
                ));
            }
        }
    }

    /// Waits for an event of `session`, consuming events up to it.
    pub fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(k) = self
                .events
                .iter()
                .position(|(s, m, _)| s == session && m == method)
            {
                let (_, _, p) = self.events.remove(k);
                return p;
            }
            assert!(Instant::now() < deadline, "no {method} event");
            let v = self.read();
            if let Some(m) = v["method"].as_str() {
                self.events.push((
                    v["sessionId"].as_str().unwrap_or("").to_string(),
                    m.to_string(),
                    v["params"].clone(),
                ));
            }
        }
    }

    pub fn page(&mut self) -> Page<'_> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let s = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        let session = s["sessionId"].as_str().unwrap().to_string();
        for m in ["Page.enable", "Runtime.enable", "Network.enable"] {
            self.call(Some(&session), m, json!({}));
        }
        Page {
            b: self,
            session,
            requests: Vec::new(),
        }
    }
}

pub struct Page<'a> {
    pub b: &'a mut Browser,
    pub session: String,
    /// URLs of every request the page made.
    pub requests: Vec<String>,
}

impl Page<'_> {
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.b.call(Some(&s), method, params)
    }

    pub fn collect_requests(&mut self) {
        let s = self.session.clone();
        let mut rest = Vec::new();
        for (sess, m, p) in self.b.events.drain(..) {
            if sess == s && m == "Network.requestWillBeSent" {
                self.requests
                    .push(p["request"]["url"].as_str().unwrap_or("").to_string());
            } else {
                rest.push((sess, m, p));
            }
        }
        self.b.events = rest;
    }

    /// Loads `url` afresh (a new document even when only the fragment differs).
    pub fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": "about:blank"}));
        let s = self.session.clone();
        self.b.wait_event(&s, "Page.loadEventFired");
        self.call("Page.navigate", json!({"url": url}));
        self.b.wait_event(&s, "Page.loadEventFired");
        self.collect_requests();
    }

    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Clicks the middle of the element `selector`, as a mouse does.
    pub fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            sel = json!(selector)
        ));
        assert!(at.is_array(), "no element {selector}");
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        for t in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": t, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Clicks into a text field, selects its content and types `text` over it.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
        for t in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": t, "key": "a", "code": "KeyA", "modifiers": 2,
                       "windowsVirtualKeyCode": 65, "commands": ["selectAll"]}),
            );
        }
        for t in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": t, "key": "Backspace", "code": "Backspace",
                       "windowsVirtualKeyCode": 8, "commands": ["deleteBackward"]}),
            );
        }
        for ch in text.chars() {
            let s = ch.to_string();
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyDown", "key": s, "text": s, "unmodifiedText": s}),
            );
            self.call("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": s}));
        }
    }

    pub fn set_width(&mut self, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
    }

    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        std::fs::write(path, base64_decode(r["data"].as_str().unwrap())).unwrap();
    }
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=' && *b != b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c) << (18 - 6 * i);
        }
        let n = chunk.len() * 6 / 8;
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    out
}

pub fn rel_err(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Deep comparison: strings and shapes exactly, numbers to `tol` relative.
pub fn same_json(got: &Value, want: &Value, tol: f64, at: &str) {
    match (got, want) {
        (Value::Number(_), Value::Number(_)) => {
            let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
            assert!(
                rel_err(g, w) <= tol,
                "{at}: page {g:e}, score {w:e} (relative error {:e})",
                rel_err(g, w)
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: lengths");
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                same_json(x, y, tol, &format!("{at}[{k}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<_> = a.keys().collect();
            let mut kb: Vec<_> = b.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "{at}: keys");
            for k in kb {
                same_json(&a[k], &b[k], tol, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

pub fn fragment(values: &[(String, String)]) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{}={}", pct_encode(k), pct_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Fills the form by clicking radio buttons and typing into number fields.
pub fn fill_form(page: &mut Page, values: &[(String, String)]) {
    for (k, v) in values {
        let kind = page.eval(&format!(
            "(() => {{ const b = document.querySelector('[data-name={k}].field'); \
             if (!b) return null; \
             return b.querySelector('input[type=radio]') ? 'radio' : \
                    b.querySelector('select') ? 'select' : 'text'; }})()",
            k = json!(k)
        ));
        match kind.as_str() {
            Some("radio") => {
                // the option's label, as a person clicks it
                let idx = page.eval(&format!(
                    "(() => {{ const b = document.querySelector('[data-name={k}].field'); \
                     const rs = [...b.querySelectorAll('input[type=radio]')]; \
                     const i = rs.findIndex(r => r.value === {v} || Number(r.value) === Number({v})); \
                     return i < 0 ? null : rs[i].id; }})()",
                    k = json!(k),
                    v = json!(v)
                ));
                let id = idx
                    .as_str()
                    .unwrap_or_else(|| panic!("no option {v} for {k}"));
                page.click(&format!("label:has(> #{id}) span"));
            }
            Some("text") => {
                let id = page.eval(&format!(
                    "document.querySelector('[data-name={k}].field input[type=text]').id",
                    k = json!(k)
                ));
                page.type_into(&format!("#{}", id.as_str().unwrap()), v);
            }
            other => panic!("{k}: field {other:?}"),
        }
    }
}
