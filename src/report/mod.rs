//! Reports: figures and tables made from measurements and data.

pub mod canvas;
pub mod figures;
pub mod histogram;
pub mod tables;
