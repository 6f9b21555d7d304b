//! 王建国 syncs from his laptop, whose desktop runs a keyring (the Secret Service). The app keeps
//! his device credential there, not in its data file: a copy of the file — a backup, a file lifted
//! off the laptop — holds the station's records but cannot sync as him. A laptop enrolled before
//! the keyring was used moves its credential there at the next start, and a reset takes it out.
//!
//! The keyring is a real one: a private D-Bus session bus and GNOME Keyring's Secret Service,
//! started for the test (the test runs itself again as a child process with the bus's address,
//! since the keystore reads it from the environment).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on fails loudly"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gridvoice_core::device::EnrolInput;
use gridvoice_server::Config;
use gridvoice_store::Store;
use gridvoice_store::vault::{self, CredentialPlace};
use gridvoice_sync::device::DeviceService;
use gridvoice_sync::{SyncConfig, enrol, sync_once};

/// Set in the child process, which holds the bus's address.
const CHILD: &str = "GRIDVOICE_KEYRING_CHILD";

/// A private session bus with GNOME Keyring's Secret Service on it, unlocked; stopped on drop.
struct Keyring {
    home: tempfile::TempDir,
    address: String,
    bus_pid: String,
}

impl Keyring {
    fn start() -> Keyring {
        let home = tempfile::tempdir().unwrap();
        let run = home.path().join("run");
        std::fs::create_dir(&run).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .expect("dbus-daemon (Debian's dbus-daemon) is installed");
        assert!(out.status.success(), "{out:?}");
        let printed = String::from_utf8(out.stdout).unwrap();
        let mut lines = printed.lines();
        let address = lines.next().unwrap().trim().to_owned();
        let bus_pid = lines.next().unwrap().trim().to_owned();
        let keyring = Keyring {
            home,
            address,
            bus_pid,
        };
        let mut gkd = keyring
            .command("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (Debian's gnome-keyring) is installed");
        {
            use std::io::Write;
            let mut stdin = gkd.stdin.take().unwrap();
            stdin.write_all(b"a test keyring's password").unwrap();
        }
        assert!(gkd.wait().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while !keyring.secrets_on_bus() {
            assert!(
                Instant::now() < deadline,
                "the Secret Service never came up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        keyring
    }

    /// A command in this keyring's session.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        let home = self.home.path();
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", home)
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"));
        c
    }

    fn secrets_on_bus(&self) -> bool {
        let out = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // The keyring daemon leaves with its bus.
        let _ = Command::new("kill").arg(&self.bus_pid).status();
    }
}

/// Runs the test named `name` again in a child process inside a fresh keyring session.
fn in_a_keyring_session(name: &str) {
    let keyring = Keyring::start();
    let out = keyring
        .command(std::env::current_exe().unwrap().to_str().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the child failed:\n{text}");
    assert!(text.contains("1 passed"), "the child ran the test:\n{text}");
}

fn contains(file: &Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(file) else {
        return false;
    };
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Whether the store file or its journal holds `needle` in its bytes.
fn file_holds(store: &Path, needle: &str) -> bool {
    let wal = store.with_extension("sqlite-wal");
    contains(store, needle) || contains(&wal, needle)
}

async fn street(data: &Path) -> gridvoice_server::Running {
    gridvoice_server::init_data(data, &gridvoice_core::demo::gulou().unwrap()).unwrap();
    gridvoice_server::start(Config::new(data, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap()
}

#[test]
fn a_laptop_keeps_its_credential_in_the_desktops_keyring_and_a_copy_of_its_file_cannot_sync() {
    if std::env::var(CHILD).is_err() {
        in_a_keyring_session(
            "a_laptop_keeps_its_credential_in_the_desktops_keyring_and_a_copy_of_its_file_cannot_sync",
        );
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let keystore = vault::system().expect("the keyring of this session answers");
            assert_eq!(keystore.name(), "Secret Service");
            let dir = tempfile::tempdir().unwrap();
            let server = street(&dir.path().join("server")).await;
            let url = format!("http://{}", server.addr);

            // 王 enrols the laptop in the app and records a demand; it syncs.
            let laptop = dir.path().join("laptop.sqlite");
            let app = DeviceService::open(&laptop).unwrap();
            let code = gridvoice_tests::enrolment_code(&dir.path().join("server"), "D01").unwrap();
            app.enrol(EnrolInput {
                server: url.clone(),
                code,
                device_name: "王建国的笔记本".into(),
            })
            .await
            .unwrap();
            let record =
                gridvoice_core::api::Request::RecordDemand(gridvoice_core::api::RecordDemand {
                    text: "东四十条地铁口共享单车堆放".into(),
                    category: "other".into(),
                    grid: Some(
                        gridvoice_core::demo::gulou()
                            .unwrap()
                            .delegate(&"D01".into())
                            .unwrap()
                            .grids[0]
                            .clone(),
                    ),
                    location: None,
                    visit: None,
                    contact: None,
                    id: None,
                    attachments: Vec::new(),
                });
            app.request(record).await.unwrap();
            let summary = app.sync_now().await;
            assert!(summary.ok, "{summary:?}");
            assert_eq!(
                gridvoice_tests::demands_on_server(&server.app).await,
                Some(1)
            );
            drop(app);

            // The credential is in the keyring; the file's bytes do not hold it.
            let mut store = Store::open(&laptop).unwrap();
            store.use_vault(keystore.clone()).unwrap();
            assert_eq!(
                store.credential_place().unwrap(),
                CredentialPlace::Keystore("Secret Service".into())
            );
            let link = store.server_link().unwrap().unwrap();
            let secret = link.credential.expose().to_owned();
            let account = vault::account(&store.identity().unwrap().device);
            assert_eq!(keystore.get(&account).unwrap().as_deref(), Some(&*secret));
            drop(store);
            assert!(
                !file_holds(&laptop, &secret),
                "the credential is not in the file"
            );
            assert!(file_holds(&laptop, "东四十条"), "the records are");

            // A copy of the file, opened where this keyring is not: it cannot sync as 王.
            let copy = dir.path().join("copy.sqlite");
            std::fs::copy(&laptop, &copy).unwrap();
            let stolen = Store::open(&copy).unwrap();
            let e = SyncConfig::from_store(&stolen).unwrap_err();
            assert_eq!(e.code(), "keystore_unavailable", "{e}");
            drop(stolen);

            // 李's laptop was enrolled before the keyring was used (the credential in the row):
            // opened by the app, the credential moves into the keyring, and it still syncs.
            let older = dir.path().join("older.sqlite");
            let mut li = Store::open(&older).unwrap();
            let code = gridvoice_tests::enrolment_code(&dir.path().join("server"), "D02").unwrap();
            enrol(&mut li, &url, &code, "李的笔记本").await.unwrap();
            assert_eq!(li.credential_place().unwrap(), CredentialPlace::Row);
            let li_secret = li
                .server_link()
                .unwrap()
                .unwrap()
                .credential
                .expose()
                .to_owned();
            drop(li);
            assert!(file_holds(&older, &li_secret));
            let app = DeviceService::open(&older).unwrap();
            let summary = app.sync_now().await;
            assert!(summary.ok, "{summary:?}");
            drop(app);
            assert!(
                !file_holds(&older, &li_secret),
                "moved, and not left behind in the file's free space or its journal"
            );
            let mut li = Store::open(&older).unwrap();
            li.use_vault(keystore.clone()).unwrap();
            assert_eq!(
                li.credential_place().unwrap(),
                CredentialPlace::Keystore("Secret Service".into())
            );
            let cfg = SyncConfig::from_store(&li).unwrap();
            sync_once(&mut li, &cfg, &mut |_| {}).await.unwrap();
            let li_account = vault::account(&li.identity().unwrap().device);

            // A reset (moving to another server) takes the credential out of the keyring too.
            li.reset_device(false).unwrap();
            assert_eq!(keystore.get(&li_account).unwrap(), None);
            assert_eq!(li.credential_place().unwrap(), CredentialPlace::None);
            drop(li);
            assert!(!file_holds(&older, &li_secret));
            server.stop().await;
        });
}
