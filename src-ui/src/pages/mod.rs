//! One screen per file.

pub mod demand;
pub mod demands;
pub mod enrol;
pub mod home;
pub mod record;
pub mod sync;
pub mod tasks;
pub mod visit;
