//! The HTTP calls beside the sync socket: enrolment, the receipt query, photo uploads.

use std::collections::BTreeMap;
use std::time::Duration;

use automerge::ChangeHash;
use gridvoice_core::access::{Person, Role};
use gridvoice_core::boundary::{
    Credential, EnrolRequest, EnrolResponse, ReceiptsRequest, ReceiptsResponse, RenewResponse,
};
use gridvoice_core::clock::Clock;
use gridvoice_core::ids::{DeviceId, DocId, StationId};
use gridvoice_store::{DeviceIdentity, ServerLink, Store};
use serde::Deserialize;

use crate::error::{Error, Result};

/// How many change hashes go in one receipt query.
const RECEIPT_BATCH: usize = 500;

/// Largest JSON body we read from the server.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client> {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout * 4)
        .build()
        .map_err(|e| Error::Network(e.to_string()))
}

fn net(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else {
        Error::Network(e.without_url_string())
    }
}

trait WithoutUrl {
    fn without_url_string(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    /// Error text without the URL, which may carry a `?token=`.
    fn without_url_string(&self) -> String {
        let mut s = String::from("http request failed");
        if self.is_connect() {
            s = "cannot connect".into();
        } else if self.is_body() || self.is_decode() {
            s = "bad response body".into();
        }
        s
    }
}

async fn read_json<T: for<'de> Deserialize<'de>>(resp: reqwest::Response) -> Result<T> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(Error::MessageTooLarge);
    }
    let bytes = resp.bytes().await.map_err(|e| net(&e))?;
    if bytes.len() > MAX_BODY {
        return Err(Error::MessageTooLarge);
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Protocol(format!("response is not the expected JSON: {e}")))
}

#[derive(Deserialize)]
struct ApiErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

/// The outcome of a successful enrolment (no credential in it: that stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub device: DeviceId,
    pub peer_id: String,
    pub person: Person,
    pub role: Role,
    pub station: Option<StationId>,
}

/// The environment variable that lets a test network use plain http off loopback.
pub const ALLOW_HTTP: &str = "GRIDVOICE_ALLOW_HTTP";

/// The base URL without a trailing slash, checked to be https — or http on this machine
/// (127.0.0.0/8, ::1, localhost), or anywhere when [`ALLOW_HTTP`] is `1` (a test network): the
/// credential and residents' contacts never cross a network in clear.
pub(crate) fn base_url(server: &str) -> Result<String> {
    base_url_with(server, std::env::var(ALLOW_HTTP).is_ok_and(|v| v == "1"))
}

fn base_url_with(server: &str, allow_http: bool) -> Result<String> {
    let s = server.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(s).map_err(|_| Error::BadServerUrl(s.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::BadServerUrl(s.to_owned()));
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.parse::<std::net::IpAddr>().map_or_else(
        |_| host.eq_ignore_ascii_case("localhost"),
        |ip| ip.is_loopback(),
    );
    if url.scheme() == "http" && !loopback && !allow_http {
        return Err(Error::InsecureServer(s.to_owned()));
    }
    Ok(s.to_owned())
}

/// Enrols the device. `again`: a device already bound may be bound anew, to the same delegate
/// (the app's re-enrolment after its credential was refused).
pub(crate) async fn enrol(
    store: &mut Store,
    server: &str,
    code: &str,
    device_name: &str,
    timeout: Duration,
    again: bool,
) -> Result<Enrolled> {
    // Checked before the call so an already-enrolled device does not burn a one-time code.
    if store.identity().is_some() && !again {
        return Err(Error::AlreadyEnrolled);
    }
    let base = base_url(server)?;
    // Pinned: a device that has a server enrols again only there (its code goes nowhere else).
    let pinned = store.server_link()?;
    if pinned.as_ref().is_some_and(|p| p.server != base) {
        return Err(Error::OtherServer);
    }
    let resp = client(timeout)?
        .post(format!("{base}/api/enrol"))
        .json(&EnrolRequest {
            code: code.to_owned(),
            device_name: device_name.to_owned(),
        })
        .send()
        .await
        .map_err(|e| net(&e))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        if (400..500).contains(&status) && status != 408 && status != 429 {
            let body: ApiErrorBody = read_json(resp).await.unwrap_or(ApiErrorBody {
                code: format!("http_{status}"),
                message: String::new(),
            });
            return Err(Error::EnrolRefused {
                code: body.code.chars().take(64).collect(),
                message: body.message.chars().take(200).collect(),
            });
        }
        return Err(Error::HttpStatus(status));
    }
    let r: EnrolResponse = read_json(resp).await?;
    if r.peer_id != crate::peer_id(&r.device) {
        return Err(Error::Protocol(
            "enrolment peer id does not match the device".into(),
        ));
    }
    // A device store is bound to a delegate (their station and contacts documents). Office and
    // admin credentials belong to the web clients, not to this engine.
    let (Person::Delegate(delegate), Role::Delegate | Role::StationHead, Some(station)) =
        (&r.person, r.role, &r.station)
    else {
        return Err(Error::RoleUnsupported(r.role.code().to_owned()));
    };
    // The same address answering as another server (a new server put in its place) is another
    // server too.
    if let Some(p) = &pinned
        && p.server_id.is_some()
        && p.server_id != r.server_id
    {
        return Err(Error::OtherServer);
    }
    let identity = DeviceIdentity {
        device: r.device,
        delegate: delegate.clone(),
        station: station.clone(),
    };
    match store.identity() {
        None => store.init_device(identity, r.territory)?,
        Some(old) if old.delegate == *delegate && old.station == *station => {
            store.rebind_device(identity, r.territory)?;
        }
        Some(_) => return Err(Error::OtherDelegate),
    }
    store.set_server_link(&ServerLink {
        server: base,
        credential: r.credential.clone(),
        server_peer_id: r.server_peer_id,
        role: r.role.code().to_owned(),
        server_id: r.server_id,
        issued_at: Some(crate::SystemClock.now().0),
    })?;
    Ok(Enrolled {
        device: r.device,
        peer_id: r.peer_id,
        person: r.person,
        role: r.role,
        station: r.station,
    })
}

/// Trades the credential for a new one (`POST /api/renew`).
pub(crate) async fn renew(
    base: &str,
    credential: &Credential,
    timeout: Duration,
) -> Result<Credential> {
    let resp = client(timeout)?
        .post(format!("{base}/api/renew"))
        .bearer_auth(credential.expose())
        .send()
        .await
        .map_err(|e| net(&e))?;
    match resp.status().as_u16() {
        200 => Ok(read_json::<RenewResponse>(resp).await?.credential),
        401 | 403 => Err(Error::CredentialRefused),
        s => Err(Error::HttpStatus(s)),
    }
}

/// Asks the server which pending receipts of `docs` it has committed and marks them.
/// Returns (confirmed now, still pending on this device overall).
pub(crate) async fn confirm_receipts(
    store: &mut Store,
    base: &str,
    credential: &Credential,
    docs: &[DocId],
    timeout: Duration,
    clock: &(dyn Clock + Sync),
) -> Result<(usize, usize)> {
    let mut by_doc: BTreeMap<DocId, Vec<ChangeHash>> = BTreeMap::new();
    for r in store.pending_receipts()? {
        if docs.contains(&r.doc) {
            by_doc.entry(r.doc).or_default().push(r.hash);
        }
    }
    let mut confirmed = 0;
    if !by_doc.is_empty() {
        let http = client(timeout)?;
        for (doc, mut hashes) in by_doc {
            hashes.sort_unstable();
            hashes.dedup();
            for batch in hashes.chunks(RECEIPT_BATCH) {
                // The server answers from what it has committed, and it commits in small groups
                // a moment after the session saw the changes: what is not yet committed is asked
                // again after a short wait, a few times, before it is left for the next sync.
                let mut asking: Vec<ChangeHash> = batch.to_vec();
                for wait_ms in [0, 50, 200, 800] {
                    if asking.is_empty() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
                    let resp = http
                        .post(format!("{base}/api/receipts"))
                        .bearer_auth(credential.expose())
                        .json(&ReceiptsRequest {
                            doc,
                            hashes: asking.iter().map(ToString::to_string).collect(),
                        })
                        .send()
                        .await
                        .map_err(|e| net(&e))?;
                    match resp.status().as_u16() {
                        200..=299 => {}
                        401 | 403 => return Err(Error::CredentialRefused),
                        s => return Err(Error::HttpStatus(s)),
                    }
                    let answer: ReceiptsResponse = read_json(resp).await?;
                    // Only what we asked about counts; the server cannot confirm anything else.
                    let committed: Vec<ChangeHash> = answer
                        .committed
                        .iter()
                        .filter_map(|h| h.parse::<ChangeHash>().ok())
                        .filter(|h| asking.contains(h))
                        .collect();
                    confirmed += store.confirm_receipts(&doc, &committed, clock.now())?;
                    asking.retain(|h| !committed.contains(h));
                }
            }
        }
    }
    let pending = store.pending_receipts()?.len();
    Ok((confirmed, pending))
}

/// Uploads the photos the server has not confirmed yet, one request each
/// (`PUT /api/photos/<sha256>`, the bytes as the body). Returns (confirmed now, still waiting).
/// Fetches one photo the device does not hold. `Ok(None)`: the server has no such photo, or not
/// for this credential (it answers 404 to both).
pub(crate) async fn download_photo(
    base: &str,
    credential: &Credential,
    hash: &str,
    timeout: Duration,
) -> Result<Option<Vec<u8>>> {
    let resp = client(timeout)?
        .get(format!("{base}/api/photos/{hash}"))
        .bearer_auth(credential.expose())
        .send()
        .await
        .map_err(|e| net(&e))?;
    match resp.status().as_u16() {
        200 => Ok(Some(resp.bytes().await.map_err(|e| net(&e))?.to_vec())),
        404 => Ok(None),
        401 | 403 => Err(Error::CredentialRefused),
        s => Err(Error::HttpStatus(s)),
    }
}

pub(crate) async fn upload_photos(
    store: &mut Store,
    base: &str,
    credential: &Credential,
    timeout: Duration,
    clock: &(dyn Clock + Sync),
) -> Result<(usize, usize)> {
    let waiting = store.photos_to_upload()?;
    let mut uploaded = 0;
    if !waiting.is_empty() {
        let http = client(timeout)?;
        for (hash, _) in &waiting {
            let Some(photo) = store.photo(hash)? else {
                continue;
            };
            let resp = http
                .put(format!("{base}/api/photos/{hash}"))
                .bearer_auth(credential.expose())
                .header(reqwest::header::CONTENT_TYPE, photo.mime)
                .body(photo.bytes)
                .send()
                .await
                .map_err(|e| net(&e))?;
            match resp.status().as_u16() {
                200..=299 => {
                    store.confirm_photo(hash, clock.now())?;
                    uploaded += 1;
                }
                401 | 403 => return Err(Error::CredentialRefused),
                // The day's quota (or the device's rate) is used: the rest wait on the device
                // for a later sync, which is not a failure of this one.
                429 => break,
                s => return Err(Error::HttpStatus(s)),
            }
        }
    }
    Ok((uploaded, waiting.len() - uploaded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_off_this_machine_must_be_https_unless_a_test_network_says_so() {
        for ok in [
            "https://gridvoice.example.cn",
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://[::1]:8080/",
            "http://localhost:8080",
        ] {
            assert!(base_url_with(ok, false).is_ok(), "{ok}");
        }
        for clear in ["http://192.168.1.20:8080", "http://gridvoice.example.cn"] {
            let e = base_url_with(clear, false).unwrap_err();
            assert_eq!(e.code(), "insecure_server", "{clear}");
            assert!(e.zh().contains("https"), "{}", e.zh());
            assert!(
                base_url_with(clear, true).is_ok(),
                "{clear} on a test network"
            );
        }
        assert_eq!(
            base_url_with("ftp://x", false).unwrap_err().code(),
            "bad_server_url"
        );
    }
}
