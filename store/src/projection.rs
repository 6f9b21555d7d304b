//! Query projections: one row per record, derived from the documents, read by every list, count
//! and search (the CRDT is never on the read path).

use automerge::Automerge;
use gridvoice_core::api::{DemandView, ParsedFilter, SuggestionView, VisitView};
use gridvoice_core::doc::{self, Collection, DocKind};
use gridvoice_core::ids::DocId;
use gridvoice_core::model::{Demand, Suggestion, Visit};
use gridvoice_core::territory::Territory;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| Error::CorruptStore(format!("cannot encode projection: {e}")))
}

/// Re-derives one record from its document and writes its projection row. A record is believed
/// only where its document agrees: its id must be its key and its station the document's owner
/// (else it is skipped, like a record a peer wrote in a form this program cannot read: counted in
/// the return value, never fatal — one bad record must not stop a station's sync). Its state comes
/// from the events the authority rule admits, judged against `territory` (none without one).
pub fn project_record(
    conn: &Connection,
    doc_id: &DocId,
    am: &Automerge,
    c: Collection,
    id: &str,
    territory: Option<&Territory>,
) -> Result<bool> {
    let Ok(info) = doc::info(am) else {
        return Ok(false);
    };
    if info.kind != DocKind::Station && c != Collection::Contacts {
        return Ok(false);
    }
    let owner = info.owner.as_str();
    let ok = match c {
        Collection::Demands => match doc::read_record::<Demand>(am, c, id) {
            Ok(Some(s)) if s.record.id.to_string() == id && s.record.station.as_str() == owner => {
                let view = match territory {
                    Some(t) => DemandView::new(s.record, &s.events, t),
                    None => DemandView::from_admitted(s.record, &[]),
                };
                upsert_demand(conn, doc_id, &view)?;
                true
            }
            _ => false,
        },
        Collection::Visits => match doc::read_record::<Visit>(am, c, id) {
            Ok(Some(s)) if s.record.id.to_string() == id && s.record.station.as_str() == owner => {
                let view = match territory {
                    Some(t) => VisitView::new(s.record, &s.events, t),
                    None => VisitView::from_admitted(s.record, &[]),
                };
                upsert_visit(conn, doc_id, &view)?;
                true
            }
            _ => false,
        },
        Collection::Suggestions => match doc::read_record::<Suggestion>(am, c, id) {
            Ok(Some(s)) if s.record.id.to_string() == id && s.record.station.as_str() == owner => {
                let view = match territory {
                    Some(t) => SuggestionView::new(s.record, &s.events, t),
                    None => SuggestionView::from_admitted(s.record, &[]),
                };
                upsert_suggestion(conn, doc_id, &view)?;
                true
            }
            _ => false,
        },
        // Contacts are read from their document by the people allowed to; no plain-text copy.
        Collection::Contacts => true,
    };
    Ok(ok)
}

pub fn upsert_demand(conn: &Connection, doc_id: &DocId, v: &DemandView) -> Result<()> {
    let d = &v.demand;
    let id = d.id.to_string();
    let view = json(v)?;
    let existing: Option<i64> = conn
        .prepare_cached("SELECT seq FROM demands WHERE doc_id = ?1 AND id = ?2")?
        .query_row([&doc_id.to_string(), &id], |r| r.get(0))
        .optional()?;
    let status = v.state.status.code();
    let deadline = v.state.deadline.map(|t| t.0);
    let joined = v.state.joined_into.map(|j| j.to_string());
    match existing {
        Some(seq) => {
            // The text is fixed at capture, so the full-text row never needs rewriting.
            conn.prepare_cached(
                "UPDATE demands SET status = ?2, has_contact = ?3, needs_decision = ?4,
                 deadline = ?5, view = ?6, joined_into = ?7 WHERE seq = ?1",
            )?
            .execute(params![
                seq,
                status,
                v.has_contact(),
                v.state.needs_decision,
                deadline,
                view,
                joined
            ])?;
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO demands (id, doc_id, station, grid, category, status, text,
                 recorded_at, recorded_by, visit, has_contact, needs_decision, deadline, view,
                 joined_into)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                id,
                doc_id.to_string(),
                d.station.as_str(),
                d.grid.as_str(),
                d.category.code(),
                status,
                d.text,
                d.recorded_at.0,
                d.recorded_by.as_str(),
                d.visit.map(|v| v.to_string()),
                v.has_contact(),
                v.state.needs_decision,
                deadline,
                view,
                joined
            ])?;
        }
    }
    Ok(())
}

/// Fills each view's `joined`: the demands of its station joined into it.
fn with_joined(conn: &Connection, views: &mut [DemandView]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM demands WHERE joined_into = ?1 AND station = ?2 ORDER BY recorded_at, id",
    )?;
    for v in views {
        v.joined = stmt
            .query_map(
                params![v.demand.id.to_string(), v.demand.station.as_str()],
                |r| r.get::<_, String>(0),
            )?
            .filter_map(|id| id.ok().and_then(|s| s.parse().ok()))
            .collect();
    }
    Ok(())
}

pub fn upsert_visit(conn: &Connection, doc_id: &DocId, v: &VisitView) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO visits (id, doc_id, station, grid, started_at, ended_at, view)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (doc_id, id) DO UPDATE SET ended_at = excluded.ended_at, view = excluded.view",
    )?
    .execute(params![
        v.visit.id.to_string(),
        doc_id.to_string(),
        v.visit.station.as_str(),
        v.visit.grid.as_str(),
        v.visit.started_at.0,
        v.state.ended_at.map(|t| t.0),
        json(v)?
    ])?;
    Ok(())
}

pub fn upsert_suggestion(conn: &Connection, doc_id: &DocId, v: &SuggestionView) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO suggestions (id, doc_id, station, level, formed_at, view)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (doc_id, id) DO UPDATE SET level = excluded.level, view = excluded.view",
    )?
    .execute(params![
        v.suggestion.id.to_string(),
        doc_id.to_string(),
        v.suggestion.station.as_str(),
        format!("{:?}", v.state.level.unwrap_or(v.suggestion.level)).to_lowercase(),
        v.suggestion.formed_at.0,
        json(v)?
    ])?;
    Ok(())
}

/// Indexes the demands captured since the last search (see the schema: the index is filled lazily).
pub fn catch_up_fts(conn: &Connection) -> Result<()> {
    let done: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'fts_indexed'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let last: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM demands", [], |r| {
        r.get(0)
    })?;
    if last <= done {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO demands_fts (rowid, text) SELECT seq, text FROM demands WHERE seq > ?1",
        [done],
    )?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('fts_indexed', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [last.to_string()],
    )?;
    Ok(())
}

/// Deletes every projection row of a document (before a rebuild).
pub fn clear(conn: &Connection, doc_id: &DocId) -> Result<()> {
    let id = doc_id.to_string();
    let done: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'fts_indexed'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    conn.execute(
        "INSERT INTO demands_fts (demands_fts, rowid, text)
         SELECT 'delete', seq, text FROM demands WHERE doc_id = ?1 AND seq <= ?2",
        params![&id, done],
    )?;
    conn.execute("DELETE FROM demands WHERE doc_id = ?1", [&id])?;
    conn.execute("DELETE FROM visits WHERE doc_id = ?1", [&id])?;
    conn.execute("DELETE FROM suggestions WHERE doc_id = ?1", [&id])?;
    Ok(())
}

fn parse_view<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A demand by id, within one station when `station` is given. Rows are keyed by (document, id):
/// the server refuses an id that another document already holds, so an id names one row there.
pub fn get_demand(
    conn: &Connection,
    id: &str,
    station: Option<&str>,
) -> Result<Option<DemandView>> {
    let found: Option<DemandView> = conn
        .prepare_cached(
            "SELECT view FROM demands WHERE id = ?1 AND (?2 IS NULL OR station = ?2)
             ORDER BY doc_id LIMIT 1",
        )?
        .query_row(params![id, station], |r| {
            parse_view(&r.get::<_, String>(0)?)
        })
        .optional()?;
    let mut found: Vec<DemandView> = found.into_iter().collect();
    with_joined(conn, &mut found)?;
    Ok(found.pop())
}

/// The document other than `doc_id` whose projection holds a record `id`, if any.
pub fn held_elsewhere(conn: &Connection, id: &str, doc_id: &DocId) -> Result<bool> {
    let mut found = false;
    for table in ["demands", "visits", "suggestions"] {
        found |= conn
            .prepare_cached(&format!(
                "SELECT 1 FROM {table} WHERE id = ?1 AND doc_id != ?2 LIMIT 1"
            ))?
            .exists(params![id, doc_id.to_string()])?;
    }
    Ok(found)
}

pub fn get_visit(conn: &Connection, id: &str, station: Option<&str>) -> Result<Option<VisitView>> {
    Ok(conn
        .prepare_cached(
            "SELECT view FROM visits WHERE id = ?1 AND (?2 IS NULL OR station = ?2)
             ORDER BY doc_id LIMIT 1",
        )?
        .query_row(params![id, station], |r| {
            parse_view(&r.get::<_, String>(0)?)
        })
        .optional()?)
}

/// A suggestion by id, within one station when `station` is given.
pub fn get_suggestion(
    conn: &Connection,
    id: &str,
    station: Option<&str>,
) -> Result<Option<SuggestionView>> {
    Ok(conn
        .prepare_cached(
            "SELECT view FROM suggestions WHERE id = ?1 AND (?2 IS NULL OR station = ?2)
             ORDER BY doc_id LIMIT 1",
        )?
        .query_row(params![id, station], |r| {
            parse_view(&r.get::<_, String>(0)?)
        })
        .optional()?)
}

/// Every demand of a station still open to review (recorded or reviewed), oldest first.
pub fn open_demands(conn: &Connection, station: &str) -> Result<Vec<DemandView>> {
    demand_views(
        conn,
        "SELECT view FROM demands WHERE station = ?1 AND status IN ('recorded', 'reviewed')
         ORDER BY recorded_at, id",
        Some(station),
    )
}

/// The views a query of one optional text parameter selects, with their co-signers.
fn demand_views(conn: &Connection, sql: &str, arg: Option<&str>) -> Result<Vec<DemandView>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], |r| parse_view(&r.get::<_, String>(0)?))?;
    let mut views: Vec<DemandView> = rows.collect::<rusqlite::Result<_>>()?;
    with_joined(conn, &mut views)?;
    Ok(views)
}

/// Every demand not yet settled — not closed, withdrawn or joined — of one station or all,
/// oldest first: those whose clock may still run.
pub fn unsettled_demands(conn: &Connection, station: Option<&str>) -> Result<Vec<DemandView>> {
    demand_views(
        conn,
        "SELECT view FROM demands WHERE (?1 IS NULL OR station = ?1)
         AND status NOT IN ('closed', 'withdrawn', 'joined')
         ORDER BY recorded_at, id",
        station,
    )
}

/// Visits, newest first, within one station when `station` is given.
/// Every suggestion of a station, oldest first.
pub fn list_suggestions(conn: &Connection, station: &str) -> Result<Vec<SuggestionView>> {
    let mut stmt = conn
        .prepare_cached("SELECT view FROM suggestions WHERE station = ?1 ORDER BY formed_at, id")?;
    let rows = stmt.query_map([station], |r| parse_view(&r.get::<_, String>(0)?))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A page of [`list_visits`], with the count of them all.
pub fn visits_page(
    conn: &Connection,
    station: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<(Vec<VisitView>, u64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT view FROM visits WHERE (?1 IS NULL OR station = ?1)
         ORDER BY started_at DESC, id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map((station, limit, offset), |r| {
        parse_view(&r.get::<_, String>(0)?)
    })?;
    let items = rows.collect::<rusqlite::Result<_>>()?;
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM visits WHERE (?1 IS NULL OR station = ?1)",
        [station],
        |r| r.get(0),
    )?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

pub fn list_visits(conn: &Connection, station: Option<&str>) -> Result<Vec<VisitView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT view FROM visits WHERE (?1 IS NULL OR station = ?1)
         ORDER BY started_at DESC, id",
    )?;
    let rows = stmt.query_map([station], |r| parse_view(&r.get::<_, String>(0)?))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Lists demands matching a filter, newest first, with the total count for paging.
pub fn list_demands(conn: &Connection, f: &ParsedFilter) -> Result<(Vec<DemandView>, u64)> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    use rusqlite::types::Value as V;
    if let Some(s) = &f.station {
        clauses.push("station = ?");
        args.push(V::Text(s.to_string()));
    }
    if let Some(g) = &f.grid {
        clauses.push("grid = ?");
        args.push(V::Text(g.to_string()));
    }
    if let Some(s) = f.status {
        clauses.push("status = ?");
        args.push(V::Text(s.code().to_owned()));
    }
    if let Some(c) = f.category {
        clauses.push("category = ?");
        args.push(V::Text(c.code().to_owned()));
    }
    if let Some(t) = f.from {
        clauses.push("recorded_at >= ?");
        args.push(V::Integer(t.0));
    }
    if let Some(t) = f.until {
        clauses.push("recorded_at < ?");
        args.push(V::Integer(t.0));
    }
    if let Some(v) = f.visit {
        clauses.push("visit = ?");
        args.push(V::Text(v.to_string()));
    }
    if let Some(d) = &f.recorded_by {
        clauses.push("recorded_by = ?");
        args.push(V::Text(d.to_string()));
    }
    if let Some(n) = f.needs_decision {
        clauses.push("needs_decision = ?");
        args.push(V::Integer(i64::from(n)));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM demands {filter}"))?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    let mut page_args = args;
    page_args.push(V::Integer(i64::from(f.limit)));
    page_args.push(V::Integer(i64::from(f.offset)));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT view FROM demands {filter} ORDER BY recorded_at DESC, id DESC LIMIT ? OFFSET ?"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(page_args.iter()), |r| {
        parse_view(&r.get::<_, String>(0)?)
    })?;
    let mut views: Vec<DemandView> = rows.collect::<rusqlite::Result<_>>()?;
    with_joined(conn, &mut views)?;
    Ok((views, u64::try_from(total).unwrap_or(0)))
}

/// Searches demand texts. Terms of three or more characters use the trigram index; shorter ones
/// (two-character Chinese words such as 电梯 are common) fall back to a scan, which is fine at a
/// device's or station's size.
///
/// Call [`catch_up_fts`] first (in a write transaction) so recent captures are indexed.
pub fn search(
    conn: &Connection,
    query: &str,
    limit: u32,
    station: Option<&str>,
) -> Result<Vec<DemandView>> {
    let terms: Vec<&str> = query.split_whitespace().collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let limit = i64::from(limit.clamp(1, 500));
    let rows: Vec<String> = if terms.iter().all(|t| t.chars().count() >= 3) {
        let fts = terms
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ");
        let mut stmt = conn.prepare_cached(
            "SELECT d.view FROM demands_fts JOIN demands d ON d.seq = demands_fts.rowid
             WHERE demands_fts MATCH ?1 AND (?3 IS NULL OR d.station = ?3)
             ORDER BY d.recorded_at DESC, d.id LIMIT ?2",
        )?;
        stmt.query_map(params![fts, limit, station], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    } else {
        let likes: Vec<String> = terms
            .iter()
            .map(|t| {
                let escaped = t
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
            .collect();
        let mut clause = vec!["text LIKE ? ESCAPE '\\'"; likes.len()].join(" AND ");
        let mut args: Vec<rusqlite::types::Value> = likes
            .into_iter()
            .map(rusqlite::types::Value::Text)
            .collect();
        if let Some(s) = station {
            clause.push_str(" AND station = ?");
            args.push(rusqlite::types::Value::Text(s.to_owned()));
        }
        args.push(rusqlite::types::Value::Integer(limit));
        let mut stmt = conn.prepare(&format!(
            "SELECT view FROM demands WHERE {clause} ORDER BY recorded_at DESC, id LIMIT ?"
        ))?;
        stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut views = rows
        .iter()
        .map(|s| {
            serde_json::from_str(s)
                .map_err(|e| Error::CorruptStore(format!("unreadable projection row: {e}")))
        })
        .collect::<Result<Vec<DemandView>>>()?;
    with_joined(conn, &mut views)?;
    Ok(views)
}

/// Demand counts per station and status (the office's overview).
pub fn counts_by_station(conn: &Connection) -> Result<Vec<(String, String, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT station, status, count(*) FROM demands GROUP BY station, status ORDER BY station, status",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (s, st, n) = row?;
        out.push((s, st, u64::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

/// Every projection row of a document, as `(table, id, view)` sorted: what convergence tests and
/// the rebuild check compare.
pub fn dump(conn: &Connection, doc_id: &DocId) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for table in ["demands", "visits", "suggestions"] {
        let mut stmt = conn.prepare(&format!(
            "SELECT id, view FROM {table} WHERE doc_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([doc_id.to_string()], |r| {
            Ok((
                table.to_owned(),
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
            ))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}
