//! `BENCHMARKS.md` is written by several benchmarks; each owns one section between markers
//! (`<!-- bench:NAME -->` … `<!-- /bench:NAME -->`) and rewrites only that. Pure string work; the
//! benches do the file IO.

/// Replaces (or appends) the section `name` of `doc` with `body`.
pub fn replace_section(doc: &str, name: &str, body: &str) -> String {
    let start = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let section = format!("{start}\n{}\n{end}", body.trim_end());
    if let (Some(s), Some(e)) = (doc.find(&start), doc.find(&end))
        && s < e
    {
        return format!("{}{}{}", &doc[..s], section, &doc[e + end.len()..]);
    }
    let mut out = if doc.trim().is_empty() {
        "# Benchmarks\n\nEach section is written by the command it names; rerun it to refresh the figures.\n".to_owned()
    } else {
        doc.trim_end().to_owned() + "\n"
    };
    out.push('\n');
    out.push_str(&section);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_appended_once_then_replaced_in_place() {
        let doc = replace_section("", "capture", "first");
        let doc = replace_section(&doc, "geo", "g");
        let doc = replace_section(&doc, "capture", "second");
        assert!(doc.starts_with("# Benchmarks"));
        assert_eq!(doc.matches("<!-- bench:capture -->").count(), 1);
        assert!(doc.contains("second") && !doc.contains("first"));
        assert!(doc.find("second").unwrap() < doc.find("\ng\n").unwrap());
    }
}
