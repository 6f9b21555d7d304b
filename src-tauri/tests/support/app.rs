//! What the app's end-to-end tests share: the app binary, a real server, one-time codes, and
//! the test's view of the app's window (waits, taps, screenshots, a failure that shows the
//! screen).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gridvoice_core::access::{Person, Role};
use gridvoice_core::api::{Request, Response};
use gridvoice_core::clock::Timestamp;
use gridvoice_core::ids::{DemandId, StationId};
use gridvoice_server::auth::AuthDb;
use serde_json::{Value, json};

use gridvoice_core::device::EnrolInput;
use gridvoice_sync::device::DeviceService;

use super::webdriver::Desktop;

/// The app binary cargo built for this test (`GRIDVOICE_APP_BIN` may name another).
pub fn app_binary() -> PathBuf {
    std::env::var_os("GRIDVOICE_APP_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_gridvoice-app")),
        PathBuf::from,
    )
}

pub fn shots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/artifacts/app")
}

pub async fn start_server(data: &Path, addr: SocketAddr) -> gridvoice_server::Running {
    gridvoice_server::start(gridvoice_server::Config::new(data, addr))
        .await
        .unwrap()
}

pub fn code_for(data: &Path, who: &str, role: Role, station: &str) -> String {
    AuthDb::open(&gridvoice_server::auth_path(data))
        .unwrap()
        .create_enrolment(
            &Person::Delegate(who.into()),
            role,
            Some(&StationId::new(station)),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap()
}

/// A phone of `who`, enrolled at `base` (the office's one-time code) and synced once.
pub async fn phone(path: &Path, base: &str, code: String) -> DeviceService {
    let device = DeviceService::open(path).unwrap();
    device
        .enrol(EnrolInput {
            server: base.to_owned(),
            code,
            device_name: "手机".into(),
        })
        .await
        .unwrap();
    let synced = device.sync_now().await;
    assert!(synced.ok, "{synced:?}");
    device
}

/// A demand recorded on a phone, in `grid`, with the resident's contact when given; its id.
pub async fn record(
    device: &DeviceService,
    text: &str,
    category: &str,
    grid: &gridvoice_core::ids::GridId,
    contact: Option<gridvoice_core::api::NewContact>,
) -> DemandId {
    let Response::Demand(v) = device
        .request(Request::RecordDemand(gridvoice_core::api::RecordDemand {
            text: text.into(),
            category: category.into(),
            grid: Some(grid.clone()),
            location: None,
            visit: None,
            contact,
            id: None,
            attachments: Vec::new(),
        }))
        .await
        .unwrap()
    else {
        panic!("not a demand");
    };
    v.demand.id
}

/// The app launched on the phone whose files live under `phone` (`store/` for the device's
/// store, the webview's own under `data/`, `cache/`, `config/`).
pub async fn launch(phone: &Path) -> App {
    let var = |sub: &str| phone.join(sub).to_str().unwrap().to_owned();
    let (store, xdg_data, xdg_cache, xdg_config) =
        (var("store"), var("data"), var("cache"), var("config"));
    let env = [
        ("GRIDVOICE_APP_DATA", store.as_str()),
        ("XDG_DATA_HOME", xdg_data.as_str()),
        ("XDG_CACHE_HOME", xdg_cache.as_str()),
        ("XDG_CONFIG_HOME", xdg_config.as_str()),
    ];
    let d = Desktop::launch(&app_binary(), &env).await.unwrap();
    App { d, shots: shots() }
}

/// The delegate's app and the test's view of it.
pub struct App {
    pub d: Desktop,
    pub shots: PathBuf,
}

impl App {
    /// Saves the demand on the form; its id, once "已保存" shows it.
    pub async fn save_demand(&self) -> DemandId {
        self.d.click("#save-demand").await.unwrap();
        self.see("[data-testid=saved]").await;
        self.d
            .attr("[data-testid=saved]", "data-demand-id")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// A tap the delegate makes, counted in `taps`.
    pub async fn tap(&self, taps: &mut Vec<String>, css: &str) {
        self.see(css).await;
        self.d.click(css).await.unwrap();
        taps.push(css.to_owned());
    }

    /// Waits for `css` to appear; when it does not, fails as [`App::fail`] says.
    pub async fn see(&self, css: &str) {
        if let Err(e) = self.d.find(css).await {
            self.fail(&e).await;
        }
    }

    /// Waits until `script` returns something truthy.
    pub async fn until(&self, what: &str, script: &str) -> Value {
        match self.d.wait_for(what, script, json!([])).await {
            Ok(v) => v,
            Err(e) => self.fail(&e).await,
        }
    }

    /// Saves the screen as FAILED.png and fails with what it said.
    pub async fn fail(&self, why: &str) -> ! {
        let _ = self.d.screenshot(&self.shots.join("FAILED.png")).await;
        let text = self
            .d
            .run("return document.body.innerText;", json!([]))
            .await
            .unwrap_or_default();
        panic!(
            "{why}\n--- the screen said ---\n{}",
            text.as_str().unwrap_or_default()
        );
    }

    pub async fn shot(&self, name: &str) {
        self.d
            .screenshot(&self.shots.join(format!("{name}.png")))
            .await
            .unwrap();
    }

    pub async fn go(&self, tab: &str, page: &str) {
        self.d
            .click(&format!("[data-testid=nav-{tab}]"))
            .await
            .unwrap();
        self.see(&format!("[data-testid=page-{page}]")).await;
    }

    pub async fn set_location(&self, value: Value) {
        self.d
            .run(
                "localStorage.setItem('gridvoice.fixedLocation', JSON.stringify(arguments[0]));",
                json!([value]),
            )
            .await
            .unwrap();
    }

    /// Chooses a file in the photo field, as the file picker would: a small picture painted in
    /// `colour`, or (None) a text file.
    pub async fn choose_file(&self, colour: Option<&str>) {
        let script = r#"
            const colour = arguments[0];
            const input = document.querySelector('#demand-photo');
            const give = (file) => {
              const dt = new DataTransfer();
              dt.items.add(file);
              input.files = dt.files;
              input.dispatchEvent(new Event('change', { bubbles: true }));
              return true;
            };
            if (colour === null) return give(new File(['not a picture'], 'notes.txt', { type: 'text/plain' }));
            const c = document.createElement('canvas');
            c.width = 640; c.height = 480;
            const g = c.getContext('2d');
            g.fillStyle = colour; g.fillRect(0, 0, 640, 480);
            g.fillStyle = '#f1c40f'; g.fillRect(280, 120, 80, 240);
            return new Promise((ok) => c.toBlob((b) => ok(give(new File([b], 'gate.png', { type: 'image/png' }))), 'image/png'));
        "#;
        self.d.run(script, json!([colour])).await.unwrap();
    }

    pub async fn count(&self, css: &str) -> usize {
        self.d
            .run(
                "return document.querySelectorAll(arguments[0]).length;",
                json!([css]),
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap() as usize
    }
}

/// The station head's door to the server's station view.
pub async fn head_request(
    http: &reqwest::Client,
    base: &str,
    credential: &str,
    req: &Request,
) -> Response {
    let resp = http
        .post(format!("{base}/api/request"))
        .bearer_auth(credential)
        .json(req)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.unwrap()
}
