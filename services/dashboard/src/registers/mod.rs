//! Registers of milestones, commitments and pledges as CSV: the columns, reading and checking
//! rows, and the body each row becomes. Shared by the CLI's import and export and by the
//! dashboard's upload form, so a file gets the same answer through either door.

pub mod check;
pub mod rows;
