//! A register 三簿一册 ([`gridvoice_core::register::Register`]) as an XLSX workbook, laid out the
//! way offices file them on paper: the title across the page, the keeping unit and the period
//! under it, grouped headers merged over their columns (a header without a group spans both
//! header rows), serial numbers and counts as numbers, every cell bordered and wrapped, and a
//! footer to sign and date. Printed landscape on A4, one page wide, the headers repeated on every
//! page. Pure: the workbook comes back as bytes.

use gridvoice_core::register::Register;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// The rows above the entries: title, unit and period, two header rows.
pub const FIRST_ENTRY_ROW: u32 = 4;

const FONT: &str = "宋体";

fn base() -> Format {
    Format::new().set_font_name(FONT).set_font_size(11)
}

fn cell() -> Format {
    base()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
}

/// Text across columns `first..=last` of rows `top..=bottom`: merged, or a plain cell when the
/// range is one cell (a merge of one cell is an error).
fn span(
    sheet: &mut rust_xlsxwriter::Worksheet,
    (top, first): (u32, u16),
    (bottom, last): (u32, u16),
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if (top, first) == (bottom, last) {
        sheet.write_string_with_format(top, first, text, format)?;
    } else {
        sheet.merge_range(top, first, bottom, last, text, format)?;
    }
    Ok(())
}

/// The workbook of one register, as bytes.
pub fn workbook(r: &Register) -> Result<Vec<u8>, XlsxError> {
    let last = u16::try_from(r.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let title = base()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let meta = base().set_align(FormatAlign::VerticalCenter);
    let header = cell()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color("#F2F2F2");
    let text = cell();
    let number = cell().set_align(FormatAlign::Center);

    let mut book = Workbook::new();
    book.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(&r.title)
            .set_subject(&r.period)
            .set_company(&r.unit),
    );
    let sheet = book.add_worksheet();
    sheet.set_name(&r.title)?;

    // Title, then the unit on the left and the period on the right.
    span(sheet, (0, 0), (0, last), &r.title, &title)?;
    sheet.set_row_height(0, 36)?;
    let unit = format!("填报单位：{}", r.unit);
    let period = format!("期间：{}", r.period);
    if last == 0 {
        span(sheet, (1, 0), (1, 0), &format!("{unit}  {period}"), &meta)?;
    } else {
        let split = (last / 2).max(1);
        span(sheet, (1, 0), (1, split - 1), &unit, &meta)?;
        let right = meta.clone().set_align(FormatAlign::Right);
        span(sheet, (1, split), (1, last), &period, &right)?;
    }

    // Two header rows: a group over its run of columns, a lone column over both rows.
    let mut c = 0usize;
    while c < r.columns.len() {
        let col = &r.columns[c];
        let at = u16::try_from(c).unwrap_or(u16::MAX);
        match &col.group {
            None => {
                span(sheet, (2, at), (3, at), &col.name, &header)?;
                c += 1;
            }
            Some(g) => {
                let run = r.columns[c..]
                    .iter()
                    .take_while(|x| x.group.as_deref() == Some(g.as_str()))
                    .count();
                let end = u16::try_from(c + run - 1).unwrap_or(u16::MAX);
                span(sheet, (2, at), (2, end), g, &header)?;
                for (i, x) in r.columns[c..c + run].iter().enumerate() {
                    let at = u16::try_from(c + i).unwrap_or(u16::MAX);
                    sheet.write_string_with_format(3, at, &x.name, &header)?;
                }
                c += run;
            }
        }
    }
    for (i, col) in r.columns.iter().enumerate() {
        let at = u16::try_from(i).unwrap_or(u16::MAX);
        sheet.set_column_width(at, f64::from(col.width))?;
    }

    // The entries.
    let mut row = FIRST_ENTRY_ROW;
    for entry in &r.rows {
        for (i, value) in entry.iter().enumerate() {
            let at = u16::try_from(i).unwrap_or(u16::MAX);
            let numeric = r.columns.get(i).is_some_and(|c| c.numeric);
            match value.parse::<f64>() {
                Ok(n) if numeric => sheet.write_number_with_format(row, at, n, &number)?,
                _ => sheet.write_string_with_format(row, at, value, &text)?,
            };
        }
        row += 1;
    }

    // The footer to sign, a blank row below the last entry.
    let footer = r
        .footer
        .iter()
        .map(|f| format!("{f}：＿＿＿＿＿＿"))
        .collect::<Vec<_>>()
        .join("        ");
    span(sheet, (row + 1, 0), (row + 1, last), &footer, &meta)?;
    sheet.set_row_height(row + 1, 30)?;

    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(2, 3)?;
    sheet.set_freeze_panes(FIRST_ENTRY_ROW, 0)?;
    sheet.set_print_center_horizontally(true);
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridvoice_core::register::{Column, RegisterKind};

    #[test]
    fn a_register_becomes_a_zip_workbook_with_its_title_as_the_sheet_name() {
        let r = Register {
            kind: RegisterKind::Visits,
            title: "联系选民活动登记簿".into(),
            unit: "鼓楼第一代表工作站".into(),
            period: "2026年11月1日至2026年11月30日".into(),
            columns: vec![
                Column {
                    group: None,
                    name: "序号".into(),
                    width: 6,
                    numeric: true,
                },
                Column {
                    group: Some("活动情况".into()),
                    name: "地点".into(),
                    width: 18,
                    numeric: false,
                },
            ],
            rows: vec![vec!["1".into(), "社区活动室".into()]],
            footer: vec!["登记人（签字）".into(), "日期".into()],
        };
        let bytes = workbook(&r).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
    }
}
