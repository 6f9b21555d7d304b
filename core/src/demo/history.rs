//! Demo history.
#[derive(Debug)]
pub struct DemoHistory;
#[derive(Debug)]
pub struct HistoryStats;
pub fn generate_history() {}
