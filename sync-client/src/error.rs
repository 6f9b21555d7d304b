//! The sync engine's errors, each with a stable code the app and CLI show and branch on.

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with enrolment or a sync session.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("this device is not enrolled with a sync server")]
    NotEnrolled,
    #[error("this device is already enrolled")]
    AlreadyEnrolled,
    /// Re-enrolment with a code for another delegate: this device holds someone else's records.
    #[error("the code belongs to another delegate than this device's")]
    OtherDelegate,
    /// Enrolment at another server than the one this device is pinned to (another address, or
    /// another server's identity): it would receive this device's residents' contacts. Only an
    /// explicit reset (which wipes the device's copies) lets the device enrol elsewhere.
    #[error("the device is pinned to another server")]
    OtherServer,
    /// The server refused the credential (401/403 at the upgrade or on an API call): revoked or
    /// wrong. Retrying cannot help; the app offers re-enrolment.
    #[error("credential refused by the server")]
    CredentialRefused,
    /// The server refused the enrolment code (expired, used, unknown). Carries the server's
    /// stable code and its (plain, user-facing) message.
    #[error("enrolment refused: {code}")]
    EnrolRefused { code: String, message: String },
    #[error("this program cannot act for a {0} credential")]
    RoleUnsupported(String),
    #[error("bad server address: {0}")]
    BadServerUrl(String),
    /// A plain-http server off this machine: the credential would cross the network in clear.
    #[error("server is not https: {0}")]
    InsecureServer(String),
    /// The server could not be reached, or the connection broke: retried with backoff.
    #[error("network: {0}")]
    Network(String),
    #[error("the server went quiet for too long")]
    Timeout,
    /// The server answered with an HTTP status we cannot use (5xx, 429 and 408 are retried).
    #[error("server answered http {0}")]
    HttpStatus(u16),
    /// The server sent something that is not the protocol: the session ends.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The server sent a protocol `error` message (e.g. our peer id does not match the credential).
    #[error("server reported a protocol error: {0}")]
    ServerError(String),
    #[error("a message exceeded the size limit")]
    MessageTooLarge,
    /// The server refused one of this device's changes under the authority rule and stored
    /// nothing of the message. Carries the rule's reason code (`Refusal::code`).
    #[error("the server refused a change: {0}")]
    ChangeRefused(String),
    #[error(transparent)]
    Store(#[from] gridvoice_store::Error),
    #[error("stopped")]
    Stopped,
}

impl Error {
    /// A stable, machine-readable code (never changes meaning once shipped).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotEnrolled => "not_enrolled",
            Error::AlreadyEnrolled => "already_enrolled",
            Error::OtherDelegate => "other_delegate",
            Error::OtherServer => "other_server",
            Error::CredentialRefused => "credential_refused",
            Error::EnrolRefused { .. } => "enrol_refused",
            Error::RoleUnsupported(_) => "role_unsupported",
            Error::BadServerUrl(_) => "bad_server_url",
            Error::InsecureServer(_) => "insecure_server",
            Error::Network(_) => "network",
            Error::Timeout => "timeout",
            Error::HttpStatus(_) => "http_status",
            Error::Protocol(_) => "protocol",
            Error::ServerError(_) => "server_error",
            Error::MessageTooLarge => "message_too_large",
            Error::ChangeRefused(_) => "change_refused",
            // The credential kept in the OS keystore (`store::vault`): not there, or no answer.
            Error::Store(gridvoice_store::Error::CredentialMissing) => "credential_missing",
            Error::Store(gridvoice_store::Error::Keystore(_)) => "keystore_unavailable",
            Error::Store(_) => "store",
            Error::Stopped => "stopped",
        }
    }

    /// Whether trying again later may succeed. Everything else needs a person: a refused
    /// credential, a server that does not speak the protocol, a full disk.
    pub fn is_retryable(&self) -> bool {
        match self {
            // A locked keyring may be unlocked by the next try.
            Error::Network(_) | Error::Timeout => true,
            Error::Store(gridvoice_store::Error::Keystore(_)) => true,
            Error::HttpStatus(s) => *s >= 500 || *s == 429 || *s == 408,
            _ => false,
        }
    }

    /// A short Chinese explanation for people (built from the code only; no server text).
    pub fn zh(&self) -> &'static str {
        match self {
            Error::NotEnrolled => "本设备尚未绑定同步服务器，请先输入绑定码",
            Error::AlreadyEnrolled => "本设备已经绑定过",
            Error::OtherDelegate => {
                "这个绑定码属于另一位代表；本设备存有原代表的记录，不能改绑，请联系代表工作室"
            }
            Error::OtherServer => {
                "本设备已绑定另一台同步服务器，不能改绑到这里；如确需更换服务器，请先在代表工作室的指导下重置本设备（将清除本机数据）"
            }
            Error::CredentialRefused => "服务器拒绝了本设备的凭据（可能已被注销），请重新绑定",
            Error::EnrolRefused { .. } => "绑定码无效、已使用或已过期",
            Error::RoleUnsupported(_) => "此身份不能在本设备上使用",
            Error::BadServerUrl(_) => "服务器地址有误",
            Error::InsecureServer(_) => {
                "服务器地址必须以 https:// 开头（本机地址除外），以免凭据和居民信息明文传输"
            }
            Error::Network(_) => "无法连接服务器，稍后自动重试",
            Error::Timeout => "服务器长时间无响应，稍后自动重试",
            Error::HttpStatus(_) => "服务器暂时不可用",
            Error::Protocol(_) | Error::ServerError(_) => "服务器的应答不符合同步协议",
            Error::MessageTooLarge => "同步消息超过大小上限",
            Error::ChangeRefused(_) => {
                "服务器拒绝了本机的一项修改，本次同步未保存任何内容；本机将按服务器的数据重新整理，并重新提交您的其他记录"
            }
            Error::Store(gridvoice_store::Error::CredentialMissing) => {
                "本设备的凭据不在系统钥匙串中（数据文件可能复制自别处），请重新绑定"
            }
            Error::Store(gridvoice_store::Error::Keystore(_)) => {
                "无法从系统钥匙串读取本设备的凭据，请解锁钥匙串，稍后自动重试"
            }
            Error::Store(_) => "本机数据保存失败",
            Error::Stopped => "同步已停止",
        }
    }
}

impl Error {
    /// A protocol `error` message from the server: a refusal under the authority rule
    /// (`CHANGE_REFUSED: …（reason）…`) or another protocol error.
    pub fn from_server_message(message: &str) -> Error {
        match message.strip_prefix(gridvoice_core::ErrorCode::ChangeRefused.as_str()) {
            Some(rest) => {
                let reason = rest
                    .split_once('（')
                    .and_then(|(_, r)| r.split_once('）'))
                    .map(|(code, _)| code)
                    .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
                    .unwrap_or("unknown");
                Error::ChangeRefused(reason.to_owned())
            }
            None => Error::ServerError(
                message
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect(),
            ),
        }
    }
}

impl From<crate::wire::WireError> for Error {
    fn from(e: crate::wire::WireError) -> Self {
        Error::Protocol(e.to_string())
    }
}
