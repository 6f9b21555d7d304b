//! Gridvoice core: the domain of "station – network – grid" (站-网-格), sans IO.
//!
//! Everything here is pure: time and ids are passed in ([`clock::Clock`], [`clock::IdSource`]),
//! documents are plain Automerge values, and nothing touches a disk, a socket or a global. The store,
//! the server and the app shell do the IO around it.

pub mod access;
pub mod api;
pub mod boundary;
pub mod calendar;
pub mod capture;
pub mod category;
pub mod clock;
pub mod cluster;
pub mod deadline;
pub mod demo;
pub mod device;
pub mod doc;
pub mod error;
pub mod geography;
pub mod ids;
pub mod limits;
pub mod model;
pub mod register;
pub mod report;
pub mod service;
pub mod suggest;
pub mod territory;
pub mod workflow;

pub use error::{Error, ErrorCode, Result};
