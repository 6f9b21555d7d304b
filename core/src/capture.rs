//! Turning what a delegate typed into records: validation, then construction. Nothing here
//! stores anything; a request that fails validation changes nothing anywhere.

use crate::api::{NewContact, RecordDemand, StartVisit};
use crate::category::Category;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{ContactId, DelegateId, DemandId, DeviceId, StationId, VisitId};
use crate::model::{Contact, Demand, Location, LocationSource, Visit};
use crate::territory::Territory;

/// The longest demand text, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// The longest short field (place, topic, name), in characters.
pub const MAX_SHORT_CHARS: usize = 200;

/// The most photos one demand carries.
pub const MAX_PHOTOS: usize = 4;
/// The largest photo, in bytes (the app shrinks photos to about 0.3 MB before storing them).
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;

/// Checks a photo's bytes: a JPEG, PNG or WebP image of at most [`MAX_PHOTO_BYTES`]. Returns its
/// media type.
pub fn check_photo(bytes: &[u8]) -> Result<&'static str> {
    if bytes.is_empty() {
        return Err(Error::InvalidPhoto("照片是空的".into()));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::InvalidPhoto(format!(
            "照片过大（{:.1} MB），最大 {} MB",
            bytes.len() as f64 / 1_048_576.0,
            MAX_PHOTO_BYTES / 1_048_576
        )));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(Error::InvalidPhoto(
            "不是可识别的图片（应为 JPEG、PNG 或 WebP）".into(),
        ))
    }
}

/// Whether `s` is a photo's name: 64 lowercase hex digits (SHA-256).
pub fn is_photo_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a demand's photo list: well-formed names, no more than [`MAX_PHOTOS`], each once.
pub fn check_attachments(list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for h in list {
        if !is_photo_hash(h) {
            return Err(Error::InvalidPhoto("照片编号格式不正确".into()));
        }
        if !out.contains(h) {
            out.push(h.clone());
        }
    }
    if out.len() > MAX_PHOTOS {
        return Err(Error::InvalidPhoto(format!(
            "每条诉求最多 {MAX_PHOTOS} 张照片"
        )));
    }
    Ok(out)
}

/// Who is recording, on which device.
#[derive(Debug, Clone)]
pub struct Recorder<'a> {
    pub delegate: &'a DelegateId,
    pub station: &'a StationId,
    pub device: DeviceId,
    pub territory: &'a Territory,
}

/// Trims and checks a demand's text.
pub fn check_text(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::EmptyText);
    }
    let len = t.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(Error::TextTooLong {
            len,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(t.to_owned())
}

fn check_short(field: &'static str, value: &str) -> Result<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Error::MissingField { field });
    }
    let len = t.chars().count();
    if len > MAX_SHORT_CHARS {
        return Err(Error::TextTooLong {
            len,
            max: MAX_SHORT_CHARS,
        });
    }
    Ok(t.to_owned())
}

/// Checks a location: finite, in range, a sane accuracy.
pub fn check_location(loc: &Location) -> Result<()> {
    let ok = loc.lat.is_finite()
        && loc.lon.is_finite()
        && (-90.0..=90.0).contains(&loc.lat)
        && (-180.0..=180.0).contains(&loc.lon)
        && loc.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidLocation)
    }
}

/// What is wrong with a phone number, so that a form can say which part to fix. Never carries
/// the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    /// Nothing typed.
    Missing,
    /// Characters other than digits, spaces, dashes, brackets and a leading `+`.
    NotDigits,
    /// Starts with 1 like a mainland mobile, but is not 11 digits long.
    MobileLength { len: usize },
    /// Starts with 0 like a landline with its area code, but has too few or too many digits.
    LandlineLength,
    /// Seven or eight digits: a landline without its area code.
    NoAreaCode,
    /// Neither a mobile nor a landline.
    Unrecognised,
}

impl PhoneProblem {
    /// The reason, for people (Chinese).
    pub fn zh(self) -> String {
        match self {
            PhoneProblem::Missing => "请填写居民电话".into(),
            PhoneProblem::NotDigits => "电话号码只能有数字（可带空格或短横线）".into(),
            PhoneProblem::MobileLength { len } => {
                format!("手机号应为 11 位数字，现在是 {len} 位")
            }
            PhoneProblem::LandlineLength => {
                "固定电话应为区号加 7 到 8 位号码，例如 010-69041234".into()
            }
            PhoneProblem::NoAreaCode => "固定电话请加上区号，例如 010-69041234".into(),
            PhoneProblem::Unrecognised => {
                "不是手机号（11 位，以 1 开头），也不是带区号的固定电话（以 0 开头）".into()
            }
        }
    }
}

/// Checks a phone number and returns it without spaces, dashes or brackets. Valid: a mainland
/// mobile (11 digits starting with 1, optionally after +86), a landline with its area code (0,
/// then 010/02x and 8 digits, or a 4-digit area code and 7–8 digits), or an international number
/// after `+` (8–15 digits).
pub fn check_phone(raw: &str) -> Result<String, PhoneProblem> {
    let phone: String = raw
        .chars()
        .filter(|ch| !matches!(ch, ' ' | '-' | '(' | ')' | '\u{3000}'))
        .collect();
    if phone.is_empty() {
        return Err(PhoneProblem::Missing);
    }
    let (plus, digits) = match phone.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, phone.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneProblem::NotDigits);
    }
    let national = match (plus, digits.strip_prefix("86")) {
        (true, Some(rest)) => rest,
        (true, None) => {
            // Another country's number: its own rules are not ours to check.
            return if (8..=15).contains(&digits.len()) {
                Ok(phone)
            } else {
                Err(PhoneProblem::Unrecognised)
            };
        }
        (false, _) => digits,
    };
    let len = national.len();
    let ok = match national.as_bytes() {
        [b'1', ..] if len == 11 => true,
        [b'1', ..] => return Err(PhoneProblem::MobileLength { len }),
        // 010 and 02x: a 3-digit area code and an 8-digit number.
        [b'0', b'1' | b'2', ..] if !plus => len == 11,
        // Other area codes have 4 digits, then 7 or 8.
        [b'0', ..] if !plus => (11..=12).contains(&len),
        [b'0', ..] => return Err(PhoneProblem::Unrecognised),
        _ if (7..=8).contains(&len) => return Err(PhoneProblem::NoAreaCode),
        _ => return Err(PhoneProblem::Unrecognised),
    };
    if ok {
        Ok(phone)
    } else {
        Err(PhoneProblem::LandlineLength)
    }
}

/// Checks a contact: consent first (without it nothing else matters), then name and phone. A
/// missing phone is a missing field, not a badly typed one.
pub fn check_contact(c: &NewContact) -> Result<(String, String)> {
    if !c.consent {
        return Err(Error::ConsentRequired);
    }
    let name = check_short("name", &c.name)?;
    let phone = check_phone(&c.phone).map_err(|p| match p {
        PhoneProblem::Missing => Error::MissingField { field: "phone" },
        p => Error::InvalidPhone(p),
    })?;
    Ok((name, phone))
}

/// Builds a new visit from a request.
pub fn new_visit(
    who: &Recorder<'_>,
    req: &StartVisit,
    id: VisitId,
    now: Timestamp,
) -> Result<Visit> {
    let grid = who
        .territory
        .grid(&req.grid)
        .ok_or_else(|| Error::UnknownGrid(req.grid.to_string()))?;
    if &grid.station != who.station {
        return Err(Error::GridNotInStation {
            grid: grid.id.to_string(),
            station: who.station.to_string(),
        });
    }
    let place = check_short("place", &req.place)?;
    let topic = check_short("topic", &req.topic)?;
    let mut delegates = vec![who.delegate.clone()];
    for d in &req.delegates {
        if who.territory.delegate(d).is_none() {
            return Err(Error::UnknownDelegate(d.to_string()));
        }
        if !delegates.contains(d) {
            delegates.push(d.clone());
        }
    }
    Ok(Visit {
        id,
        station: who.station.clone(),
        grid: grid.id.clone(),
        place,
        topic,
        delegates,
        started_at: now,
        started_by: who.delegate.clone(),
        device: who.device,
    })
}

/// Builds a new demand (and its contact, if any) from a request. `visit_exists` answers whether a
/// visit id is known in the station document.
pub fn new_demand(
    who: &Recorder<'_>,
    req: &RecordDemand,
    id: DemandId,
    contact_id: ContactId,
    now: Timestamp,
    visit_exists: impl Fn(&VisitId) -> bool,
) -> Result<(Demand, Option<Contact>)> {
    let text = check_text(&req.text)?;
    let category: Category = req.category.parse()?;
    if let Some(loc) = &req.location {
        check_location(loc)?;
    }
    let grid_id = req
        .grid
        .as_ref()
        .ok_or(Error::MissingField { field: "grid" })?;
    let grid = who
        .territory
        .grid(grid_id)
        .ok_or_else(|| Error::UnknownGrid(grid_id.to_string()))?;
    if let Some(v) = &req.visit
        && !visit_exists(v)
    {
        return Err(Error::UnknownVisit(v.to_string()));
    }
    let attachments = check_attachments(&req.attachments)?;
    let contact = match &req.contact {
        None => None,
        Some(c) => {
            let (name, phone) = check_contact(c)?;
            Some(Contact {
                id: contact_id,
                demand: id,
                name,
                phone,
                consent: true,
                recorded_at: now,
                recorded_by: who.delegate.clone(),
            })
        }
    };
    let demand = Demand {
        id,
        station: who.station.clone(),
        text,
        category,
        grid: grid.id.clone(),
        location: req.location,
        recorded_at: now,
        recorded_by: who.delegate.clone(),
        device: who.device,
        visit: req.visit,
        contacts_in: contact.as_ref().map(|_| who.delegate.clone()),
        attachments,
    };
    Ok((demand, contact))
}

/// A location source picked by hand carries no position worth storing beyond the grid.
pub fn is_grid_pick(loc: Option<&Location>) -> bool {
    loc.is_some_and(|l| l.source == LocationSource::GridPick)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::territory::sample;
    use uuid::Uuid;

    fn req(text: &str) -> RecordDemand {
        RecordDemand {
            text: text.into(),
            category: "电梯维保".into(),
            grid: Some("110118003001001".into()),
            location: None,
            visit: None,
            contact: None,
            id: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn photos_are_sniffed_sized_and_named() {
        assert_eq!(
            check_photo(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Ok("image/jpeg")
        );
        assert_eq!(check_photo(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(check_photo(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        for bad in [
            &b""[..],
            b"GIF89a",
            b"<svg onload=alert(1)>",
            b"RIFF\0\0\0\0WAVE",
        ] {
            assert_eq!(
                check_photo(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidPhoto
            );
        }
        let mut huge = vec![0u8; MAX_PHOTO_BYTES + 1];
        huge[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        let e = check_photo(&huge).unwrap_err();
        assert!(e.message_zh().contains("过大"), "{e}");

        let h = "ab".repeat(32);
        assert!(is_photo_hash(&h));
        assert!(!is_photo_hash(&"AB".repeat(32)));
        assert!(!is_photo_hash("../../etc/passwd"));
        assert_eq!(check_attachments(&[h.clone(), h.clone()]).unwrap(), vec![h]);
        let five: Vec<String> = (0..5).map(|i| format!("{i:064x}")).collect();
        assert_eq!(
            check_attachments(&five).unwrap_err().code(),
            crate::ErrorCode::InvalidPhoto
        );
        let mut r = req("路灯坏了");
        r.attachments = vec!["not-a-hash".into()];
        assert_eq!(
            build(&r).unwrap_err().code(),
            crate::ErrorCode::InvalidPhoto
        );
        r.attachments = vec!["cd".repeat(32)];
        assert_eq!(build(&r).unwrap().0.attachments, vec!["cd".repeat(32)]);
    }

    fn build(r: &RecordDemand) -> Result<(Demand, Option<Contact>)> {
        let t = sample::small();
        let who = Recorder {
            delegate: &"D01".into(),
            station: &"S01".into(),
            device: DeviceId(Uuid::nil()),
            territory: &t,
        };
        new_demand(
            &who,
            r,
            DemandId(Uuid::from_u128(1)),
            ContactId(Uuid::from_u128(2)),
            Timestamp(0),
            |_| false,
        )
    }

    #[test]
    fn a_good_demand_is_built_with_trimmed_text() {
        let (d, c) = build(&req("  3号楼电梯经常停运  ")).unwrap();
        assert_eq!(d.text, "3号楼电梯经常停运");
        assert_eq!(d.category, Category::LiftMaintenance);
        assert!(c.is_none() && d.contacts_in.is_none());
    }

    #[test]
    fn each_kind_of_bad_input_gets_its_own_error() {
        assert_eq!(build(&req(" \n\t ")).unwrap_err(), Error::EmptyText);
        let long = "字".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(
            build(&req(&long)).unwrap_err(),
            Error::TextTooLong { .. }
        ));
        assert!(build(&req(&"字".repeat(MAX_TEXT_CHARS))).is_ok());

        let mut r = req("路灯不亮");
        r.category = "nonsense".into();
        assert!(matches!(build(&r).unwrap_err(), Error::UnknownCategory(_)));

        let mut r = req("路灯不亮");
        r.grid = Some("110118003009009".into());
        assert!(matches!(build(&r).unwrap_err(), Error::UnknownGrid(_)));

        for (lat, lon) in [
            (f64::NAN, 116.8),
            (91.0, 116.8),
            (40.3, -181.0),
            (40.3, f64::INFINITY),
        ] {
            let mut r = req("路灯不亮");
            r.location = Some(Location {
                lat,
                lon,
                accuracy_m: None,
                source: LocationSource::Gps,
            });
            assert_eq!(
                build(&r).unwrap_err(),
                Error::InvalidLocation,
                "{lat},{lon}"
            );
        }

        let mut r = req("路灯不亮");
        r.visit = Some(VisitId(Uuid::from_u128(9)));
        assert!(matches!(build(&r).unwrap_err(), Error::UnknownVisit(_)));

        let mut r = req("路灯不亮");
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: "13800138000".into(),
            consent: false,
        });
        assert_eq!(build(&r).unwrap_err(), Error::ConsentRequired);
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: "call me".into(),
            consent: true,
        });
        assert_eq!(
            build(&r).unwrap_err(),
            Error::InvalidPhone(PhoneProblem::NotDigits)
        );
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: "138-0013-8000".into(),
            consent: true,
        });
        let (d, c) = build(&r).unwrap();
        assert_eq!(c.unwrap().phone, "13800138000");
        assert_eq!(d.contacts_in, Some("D01".into()));
    }

    #[test]
    fn phones_are_mainland_mobiles_or_landlines_with_an_area_code_and_the_fault_is_named() {
        for good in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "010-69041234",
            "(010) 6904 1234",
            "021-12345678",
            "0755-1234567",
            "0755-12345678",
            "+44 20 7946 0958",
        ] {
            assert!(check_phone(good).is_ok(), "{good}");
        }
        assert_eq!(check_phone("138-0013-8000").unwrap(), "13800138000");
        for (bad, why) in [
            ("", PhoneProblem::Missing),
            ("  ", PhoneProblem::Missing),
            ("1380013800", PhoneProblem::MobileLength { len: 10 }),
            ("138001380001", PhoneProblem::MobileLength { len: 12 }),
            ("+86 1380013800", PhoneProblem::MobileLength { len: 10 }),
            ("12ab", PhoneProblem::NotDigits),
            ("call me", PhoneProblem::NotDigits),
            ("010-6904123", PhoneProblem::LandlineLength),
            ("0755-123456", PhoneProblem::LandlineLength),
            ("69041234", PhoneProblem::NoAreaCode),
            ("6904123", PhoneProblem::NoAreaCode),
            ("12345", PhoneProblem::MobileLength { len: 5 }),
            ("555", PhoneProblem::Unrecognised),
            ("+1", PhoneProblem::Unrecognised),
        ] {
            assert_eq!(check_phone(bad), Err(why), "{bad:?}");
            assert!(!why.zh().is_empty());
        }
        assert!(
            PhoneProblem::MobileLength { len: 10 }
                .zh()
                .contains("11 位")
        );
    }

    #[test]
    fn a_name_without_a_phone_asks_for_the_phone() {
        let mut r = req("路灯不亮");
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: " ".into(),
            consent: true,
        });
        let e = build(&r).unwrap_err();
        assert_eq!(e, Error::MissingField { field: "phone" });
        assert_eq!(e.message_zh(), "缺少必填项：电话");
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: "1380013800".into(),
            consent: true,
        });
        let e = build(&r).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidPhone);
        assert!(e.message_zh().contains("11 位"), "{}", e.message_zh());
    }

    #[test]
    fn errors_never_carry_the_residents_phone() {
        let mut r = req("路灯不亮");
        r.contact = Some(NewContact {
            name: "张三".into(),
            phone: "1380013800x".into(),
            consent: true,
        });
        let e = build(&r).unwrap_err();
        assert!(!e.to_string().contains("1380013800x") && !e.message_zh().contains("1380013800x"));
    }
}
