//! Offline SVG maps.
