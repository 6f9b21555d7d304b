//! The credentials store: codes, devices, sessions, revocation, files.

use super::*;
use uuid::Uuid;

/// The office revokes a lost phone with the admin command while the server is writing the
/// same file: the revocation waits for the other writer and goes through.
#[test]
fn a_revocation_waits_for_another_writer_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.sqlite");
    let db = AuthDb::open(&path).unwrap();
    let code = db
        .create_enrolment(
            &Person::Delegate("D01".into()),
            Role::Delegate,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap();
    let (p, _) = db
        .redeem(&code, "手机", Timestamp(1), DeviceId(Uuid::from_u128(3)))
        .unwrap();
    // Another connection (the server's) holds the write lock for a moment.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        other.execute_batch("COMMIT").unwrap();
    });
    rx.recv().unwrap();
    assert!(db.revoke(&p.device, Timestamp(2)).unwrap());
    holder.join().unwrap();
}

/// The credentials file is its owner's alone.
#[cfg(unix)]
#[test]
fn the_credentials_file_is_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.sqlite");
    drop(AuthDb::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// An auth store from before browser sessions: its devices keep working, as devices.
#[test]
fn an_older_auth_store_gains_the_session_columns_and_its_devices_stay_devices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.sqlite");
    {
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE devices (
                id TEXT PRIMARY KEY, credential_hash TEXT NOT NULL UNIQUE,
                person_kind TEXT NOT NULL, person_id TEXT NOT NULL, role TEXT NOT NULL,
                station TEXT, name TEXT NOT NULL, enrolled_at INTEGER NOT NULL,
                revoked_at INTEGER) STRICT;",
        )
        .unwrap();
        old.execute(
            "INSERT INTO devices VALUES (?1, ?2, 'delegate', 'D01', 'delegate', 'S01', '手机', 1, NULL)",
            params![Uuid::from_u128(7).to_string(), sha256_hex("gv1.old")],
        )
        .unwrap();
    }
    let db = AuthDb::open(&path).unwrap();
    let p = db
        .authenticate_at("gv1.old", Timestamp(1 + 30 * 24 * 60 * 60 * 1000))
        .unwrap()
        .expect("a device does not idle out in a month");
    assert_eq!(p.person, Person::Delegate("D01".into()));
    let rows = db.devices().unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].browser);
    // Opening it again changes nothing.
    drop(db);
    assert_eq!(AuthDb::open(&path).unwrap().devices().unwrap().len(), 1);
}

#[test]
fn only_the_same_persons_new_device_takes_over_a_revoked_phones_actor() {
    let dir = tempfile::tempdir().unwrap();
    let db = AuthDb::open(&dir.path().join("auth.sqlite")).unwrap();
    let device = |person: &str, n: u128| {
        let code = db
            .create_enrolment(
                &Person::Delegate(person.into()),
                Role::Delegate,
                Some(&"S01".into()),
                Timestamp(0),
                1_000,
            )
            .unwrap();
        let d = DeviceId(Uuid::from_u128(n));
        db.redeem(&code, "phone", Timestamp(1), d).unwrap();
        d
    };
    let (old, other, new) = (device("D01", 1), device("D03", 2), device("D01", 3));
    let actor = "a1b2c3";
    assert!(db.bind_actor(actor, &old, Timestamp(2)).unwrap());
    // While the old phone is live, nobody else may write as it, not even its owner's new one.
    assert!(!db.bind_actor(actor, &new, Timestamp(3)).unwrap());
    db.revoke(&old, Timestamp(4)).unwrap();
    // Revoked: another delegate still may not; the same delegate's new device now may.
    assert!(!db.bind_actor(actor, &other, Timestamp(5)).unwrap());
    assert!(db.bind_actor(actor, &new, Timestamp(6)).unwrap());
    assert!(!db.bind_actor(actor, &old, Timestamp(7)).unwrap());
}

#[test]
fn a_code_is_redeemed_once_before_it_expires_and_a_revoked_device_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = AuthDb::open(&dir.path().join("auth.sqlite")).unwrap();
    let wang = Person::Delegate("D01".into());
    let code = db
        .create_enrolment(
            &wang,
            Role::Delegate,
            Some(&"S01".into()),
            Timestamp(0),
            1_000,
        )
        .unwrap();
    assert_eq!(code.len(), 14);
    let dev = DeviceId(Uuid::from_u128(1));
    let typed = code.to_lowercase().replace('-', " ");
    let (p, cred) = db
        .redeem(&typed, "王建国的手机", Timestamp(10), dev)
        .unwrap();
    assert_eq!(p.person, wang);
    assert_eq!(
        db.authenticate_at(cred.expose(), Timestamp(20)).unwrap(),
        Some(p)
    );
    assert_eq!(
        db.redeem(&code, "again", Timestamp(11), DeviceId(Uuid::from_u128(2))),
        Err(AuthError::Used)
    );
    let late = db
        .create_enrolment(&wang, Role::Delegate, None, Timestamp(0), 1_000)
        .unwrap();
    assert_eq!(
        db.redeem(&late, "x", Timestamp(2_000), DeviceId(Uuid::from_u128(3))),
        Err(AuthError::Expired)
    );
    assert_eq!(
        db.redeem(
            "0000-0000-0000",
            "x",
            Timestamp(1),
            DeviceId(Uuid::from_u128(4))
        ),
        Err(AuthError::InvalidCode)
    );
    assert!(db.revoke(&dev, Timestamp(20)).unwrap());
    assert_eq!(db.authenticate(cred.expose()).unwrap(), None);
    assert_eq!(db.authenticate("gv1.nonsense").unwrap(), None);
    assert_eq!(db.devices().unwrap().len(), 1);
}

/// 王建国's phone credential lasts its term; renewed, the new one works at once and the old one
/// only until the new one has been used (a renewal answer lost on the way locks nobody out); a
/// credential left past its term is refused.
#[test]
fn a_credential_expires_unless_renewed_and_a_lost_renewal_locks_nobody_out() {
    const DAY: i64 = 24 * 60 * 60 * 1000;
    let dir = tempfile::tempdir().unwrap();
    let db = AuthDb::open(&dir.path().join("auth.sqlite")).unwrap();
    let code = db
        .create_enrolment(
            &Person::Delegate("D01".into()),
            Role::Delegate,
            Some(&StationId::new("S01")),
            Timestamp(0),
            i64::MAX / 4,
        )
        .unwrap();
    let (p, first) = db
        .redeem(&code, "手机", Timestamp(0), DeviceId(Uuid::from_u128(3)))
        .unwrap();
    let who = |c: &Credential, day: i64| {
        db.authenticate_at(c.expose(), Timestamp(day * DAY))
            .unwrap()
            .map(|p| p.device)
    };
    assert_eq!(who(&first, 179), Some(p.device));
    assert_eq!(who(&first, 181), None, "past its term");

    // Renewed on day 40: both work until the phone uses the new one.
    let second = db
        .renew(first.expose(), Timestamp(40 * DAY))
        .unwrap()
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(
        who(&first, 41),
        Some(p.device),
        "the answer may have been lost"
    );
    // The phone renews again with the old one (it never got the answer): a third credential.
    let third = db
        .renew(first.expose(), Timestamp(42 * DAY))
        .unwrap()
        .unwrap();
    assert_eq!(who(&third, 43), Some(p.device));
    assert_eq!(
        who(&first, 44),
        None,
        "once the new one is used, the old one is over"
    );
    assert_eq!(who(&second, 44), None);
    // The new term runs from the renewal.
    assert_eq!(who(&third, 42 + 179), Some(p.device));
    assert_eq!(who(&third, 42 + 181), None);
    // A revoked device renews nothing.
    assert!(db.revoke(&p.device, Timestamp(50 * DAY)).unwrap());
    assert_eq!(db.renew(third.expose(), Timestamp(51 * DAY)).unwrap(), None);
}
