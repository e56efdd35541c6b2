//! Reports: figures and tables made from measurements and data.

pub mod figures;
pub mod histogram;
pub mod tables;
