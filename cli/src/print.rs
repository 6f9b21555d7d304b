//! What the commands print for people: one line per visit, demands as a table or JSON, one
//! demand in full.

use std::io::Write;

use gridvoice_core::api::{DemandView, Response, VisitView};

pub(crate) fn visit_line(v: &VisitView) -> String {
    let ended = match (v.state.ended_at, v.state.attendance) {
        (Some(t), Some(n)) => format!("已结束 {}，到场 {n} 人", t.beijing()),
        _ => "进行中".to_owned(),
    };
    format!(
        "{}  {}  网格{}  {}「{}」  {}",
        v.visit.id,
        v.visit.started_at.beijing(),
        v.visit.grid,
        v.visit.place,
        v.visit.topic,
        ended
    )
}

pub(crate) fn print_demands(out: &mut impl Write, r: Response, json: bool) {
    if let Response::Demands { items, total } = r {
        if json {
            let _ = writeln!(out, "{}", serde_json::to_string(&items).unwrap_or_default());
            return;
        }
        for d in &items {
            let _ = writeln!(
                out,
                "{}  {}  {}  {}  {}  {}",
                d.demand.id,
                d.demand.recorded_at.beijing(),
                d.demand.grid,
                d.demand.category.zh(),
                d.state.status.zh(),
                d.demand.text.chars().take(40).collect::<String>()
            );
        }
        let _ = writeln!(out, "共 {total} 条");
    }
}

pub(crate) fn show(out: &mut impl Write, v: &DemandView) -> std::io::Result<()> {
    let d = &v.demand;
    writeln!(out, "诉求 {}", d.id)?;
    writeln!(out, "内容：{}", d.text)?;
    writeln!(
        out,
        "类别：{}    网格：{}    状态：{}",
        d.category.zh(),
        d.grid,
        v.state.status.zh()
    )?;
    writeln!(
        out,
        "记录：{} 由 {}",
        d.recorded_at.beijing(),
        d.recorded_by
    )?;
    if let Some(l) = &d.location {
        let acc = l
            .accuracy_m
            .map(|a| format!("±{a:.0} 米"))
            .unwrap_or_default();
        writeln!(
            out,
            "位置：{:.6}, {:.6} {acc}（{}）",
            l.lat,
            l.lon,
            l.source.zh()
        )?;
    }
    if v.has_contact() {
        writeln!(out, "联系方式：已登记（不在此显示）")?;
    }
    if v.state.needs_decision {
        writeln!(out, "注意：存在相互冲突的处理决定，待裁定")?;
    }
    for e in &v.history {
        writeln!(out, "  {}  {:?}", e.at.beijing(), e.what)?;
    }
    Ok(())
}
