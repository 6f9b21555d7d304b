//! The device commands: what the UI asks of the device it runs on.
//!
//! One table, read by every side that names a command: the Tauri shell's build step (its
//! per-command permissions), the device bridge's dispatch (`gridvoice ui`, `POST
//! /device/<command>`), the UI's typed door (`src-ui/src/api.rs`), and the tests that read the
//! capability file and the JavaScript test backend.
//!
//! This file uses `std` only: `src-tauri/build.rs` includes it by path (`#[path]`), so the build
//! step takes its command list from here without compiling the whole core for the host.

/// A device command. Its name (`as_str`) is the Tauri command, the bridge's path segment
/// (`/device/<name>`) and, with `-` for `_`, the Tauri permission `allow-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceCommand {
    /// Where the device stands (`DeviceStatus`); no input.
    Status,
    /// Bind this device with a one-time code (`EnrolInput`).
    Enrol,
    /// Sync now (`SyncSummary`); no input.
    SyncNow,
    /// Records the server has not confirmed yet (`Vec<PendingItem>`); no input.
    Pending,
    /// The territory this device holds; no input.
    Territory,
    /// One request of the vocabulary (`api::Request` → `api::Response`).
    Request,
    /// Store a photo on the device (`PhotoInput` → `PhotoSaved`).
    PutPhoto,
    /// A photo to show (`PhotoRef` → `PhotoData`).
    Photo,
    /// Wipe this device to enrol it anew, at another server (`ResetInput` → `ResetDone`).
    Reset,
}

impl DeviceCommand {
    /// Every command, in the order the shell declares them.
    pub const ALL: &'static [DeviceCommand] = &[
        DeviceCommand::Status,
        DeviceCommand::Enrol,
        DeviceCommand::SyncNow,
        DeviceCommand::Pending,
        DeviceCommand::Territory,
        DeviceCommand::Request,
        DeviceCommand::PutPhoto,
        DeviceCommand::Photo,
        DeviceCommand::Reset,
    ];

    /// The command's name on every transport.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeviceCommand::Status => "status",
            DeviceCommand::Enrol => "enrol",
            DeviceCommand::SyncNow => "sync_now",
            DeviceCommand::Pending => "pending",
            DeviceCommand::Territory => "territory",
            DeviceCommand::Request => "request",
            DeviceCommand::PutPhoto => "put_photo",
            DeviceCommand::Photo => "photo",
            DeviceCommand::Reset => "reset",
        }
    }

    /// The command of a name; `None` for anything else (the bridge answers `NOT_FOUND`).
    pub fn parse(name: &str) -> Option<DeviceCommand> {
        DeviceCommand::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name)
    }

    /// The Tauri permission that grants this command (`allow-sync-now` for `sync_now`).
    pub fn permission(self) -> String {
        format!("allow-{}", self.as_str().replace('_', "-"))
    }
}

impl std::fmt::Display for DeviceCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_from_its_name_and_nothing_else_does() {
        for c in DeviceCommand::ALL {
            assert_eq!(DeviceCommand::parse(c.as_str()), Some(*c));
        }
        let mut names: Vec<&str> = DeviceCommand::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DeviceCommand::ALL.len(), "names are unique");
        for bad in ["", "STATUS", "sync-now", "request ", "../status"] {
            assert_eq!(DeviceCommand::parse(bad), None, "{bad:?}");
        }
        assert_eq!(DeviceCommand::SyncNow.permission(), "allow-sync-now");
    }

    #[test]
    fn all_lists_every_variant() {
        // No wildcard: a new variant fails to compile here until it is looked at, and then fails
        // the test until it is in `ALL`.
        let listed = |c: DeviceCommand| match c {
            DeviceCommand::Status
            | DeviceCommand::Enrol
            | DeviceCommand::SyncNow
            | DeviceCommand::Pending
            | DeviceCommand::Territory
            | DeviceCommand::Request
            | DeviceCommand::PutPhoto
            | DeviceCommand::Photo
            | DeviceCommand::Reset => DeviceCommand::ALL.contains(&c),
        };
        for c in [
            DeviceCommand::Status,
            DeviceCommand::Enrol,
            DeviceCommand::SyncNow,
            DeviceCommand::Pending,
            DeviceCommand::Territory,
            DeviceCommand::Request,
            DeviceCommand::PutPhoto,
            DeviceCommand::Photo,
            DeviceCommand::Reset,
        ] {
            assert!(listed(c), "{c} is missing from DeviceCommand::ALL");
        }
    }
}
