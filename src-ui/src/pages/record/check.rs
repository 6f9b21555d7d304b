//! What the form says next to each field: the errors, the contact's rules (the core's own, so the
//! form refuses exactly what the backend would), and which field 保存 brings into view.

use gridvoice_core::capture::{MAX_SHORT_CHARS, PhoneProblem, check_phone};

use crate::i18n::I18n;

/// The reason next to each field (in the order the fields stand on the page).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Errors {
    pub(super) text: Option<String>,
    pub(super) name: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) consent: Option<String>,
    pub(super) category: Option<String>,
    pub(super) location: Option<String>,
    pub(super) photo: Option<String>,
}

impl Errors {
    pub(super) fn any(&self) -> bool {
        *self != Errors::default()
    }

    /// The errors shown, less those whose cause is gone: `now` is what the form would say today.
    /// A field that had no error keeps none (new errors wait for the next 保存); a field whose
    /// error changed says the new one. Photo errors come from adding a photo, not from the form.
    pub(super) fn fixed(&self, now: &Errors) -> Errors {
        let keep = |old: &Option<String>, new: &Option<String>| old.as_ref().and(new.clone());
        Errors {
            text: keep(&self.text, &now.text),
            name: keep(&self.name, &now.name),
            phone: keep(&self.phone, &now.phone),
            consent: keep(&self.consent, &now.consent),
            category: keep(&self.category, &now.category),
            location: keep(&self.location, &now.location),
            photo: self.photo.clone(),
        }
    }

    /// The id of the first field in error (what 保存 brings into view), and whether it is in the
    /// contact part.
    pub(super) fn first(&self) -> Option<(&'static str, bool)> {
        [
            (self.text.is_some(), "demand-text", false),
            (self.name.is_some(), "contact-name", true),
            (self.phone.is_some(), "contact-phone", true),
            (self.consent.is_some(), "contact-consent", true),
            (self.category.is_some(), "demand-category", false),
            (self.location.is_some(), "demand-location-error", false),
            (self.photo.is_some(), "demand-photo-error", false),
        ]
        .into_iter()
        .find(|(on, _, _)| *on)
        .map(|(_, id, contact)| (id, contact))
    }
}

/// Errors of the optional contact. `required`: attaching a resident needs one.
pub(super) fn contact_errors(
    e: &mut Errors,
    i18n: I18n,
    name: &str,
    phone: &str,
    consent: bool,
    required: bool,
) {
    let given = !name.trim().is_empty() || !phone.trim().is_empty();
    if !given && !required {
        return;
    }
    if !consent {
        e.consent = Some(i18n.t("record.err.consent").into());
    }
    let n = name.trim();
    if n.is_empty() {
        e.name = Some(i18n.t("record.err.name").into());
    } else if n.chars().count() > MAX_SHORT_CHARS {
        e.name = Some(i18n.t("record.err.name_long").into());
    }
    // The core's own phone rule, so the form refuses exactly what the backend would, and says
    // which part is wrong.
    if let Err(why) = check_phone(phone) {
        e.phone = Some(phone_problem(why, i18n));
    }
}

fn phone_problem(p: PhoneProblem, i18n: I18n) -> String {
    match p {
        PhoneProblem::Missing => i18n.t("record.err.phone_missing").into(),
        PhoneProblem::NotDigits => i18n.t("record.err.phone_digits").into(),
        PhoneProblem::MobileLength { len } => i18n.fmt1("record.err.phone_mobile", len),
        PhoneProblem::LandlineLength => i18n.t("record.err.phone_landline").into(),
        PhoneProblem::NoAreaCode => i18n.t("record.err.phone_area").into(),
        PhoneProblem::Unrecognised => i18n.t("record.err.phone_unknown").into(),
    }
}
